package conformance

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/quic-go/quic-go"

	"github.com/ssh3-project/ssh3/frame"
)

// loginFake is the suite's server for the password and UDP-forwarding
// scenarios of client-under-test mode (-client-password-cmd,
// -client-udp-cmd). Unlike fakeServer it authenticates: with a password
// set, a CONNECT gets 200 only with Basic credentials for that password
// whose user-id is the ?user= of its :path, else 401 with
// `WWW-Authenticate: Basic`. It confirms session channels (output, then
// exit-status 0) and direct-udp channels, and records every datagram.
type loginFake struct {
	*fakeListener
	p        *frame.Profile
	password string // "": any CONNECT gets 200

	mu sync.Mutex // guards the fields below
	// authz are the authorization values received, "" for none.
	authz    []string
	paths    []string
	statuses []int
	udpOpens []string // target of each direct-udp channel
	udpIDs   map[uint64]bool
	payloads [][]byte // datagram payloads on direct-udp channels
	closed   bool     // a connection has ended
}

func startLoginFake(cert tls.Certificate, p *frame.Profile, password string) (*loginFake, error) {
	f := &loginFake{p: p, password: password, udpIDs: map[uint64]bool{}}
	l, err := listenFake(cert, false, f.serve)
	if err != nil {
		return nil, err
	}
	f.fakeListener = l
	return f, nil
}

func (f *loginFake) serve(qc *quic.Conn) {
	ctx := qc.Context()
	defer func() {
		f.mu.Lock()
		f.closed = true
		f.mu.Unlock()
	}()
	sendSettings(qc, defaultFakeSettings)
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(2)
	go func() {
		defer wg.Done()
		drainUniStreams(qc)
	}()
	go func() {
		defer wg.Done()
		f.datagrams(ctx, qc)
	}()
	for {
		st, err := qc.AcceptStream(ctx)
		if err != nil {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.bidi(ctx, st)
		}()
	}
}

func (f *loginFake) datagrams(ctx context.Context, qc *quic.Conn) {
	for {
		b, err := qc.ReceiveDatagram(ctx)
		if err != nil {
			return
		}
		d, err := f.p.ParseDatagram(b)
		f.mu.Lock()
		if err == nil && f.udpIDs[d.Channel] {
			f.payloads = append(f.payloads, append([]byte(nil), d.Payload...))
		}
		f.mu.Unlock()
	}
}

func (f *loginFake) bidi(ctx context.Context, st *quic.Stream) {
	// The stream ends with the connection at the latest.
	stop := context.AfterFunc(ctx, func() { st.CancelRead(0x10c); st.CancelWrite(0x10c) })
	defer stop()
	br := bufio.NewReaderSize(st, 4096)
	first, err := br.Peek(1)
	if err != nil {
		return
	}
	if first[0] == h3FrameHeaders {
		f.request(st, br)
		return
	}
	f.channel(st, br)
}

// request answers a CONNECT: 200 when it is authorized, else 401 with a
// Basic challenge.
func (f *loginFake) request(st *quic.Stream, br *bufio.Reader) {
	_, payload, err := readFrame(br)
	if err != nil {
		return
	}
	fields, err := decodeFields(payload)
	if err != nil {
		return
	}
	var authz, path string
	for _, fl := range fields {
		switch fl.Name {
		case "authorization":
			authz = fl.Value
		case ":path":
			path = fl.Value
		}
	}
	status := 200
	if f.password != "" && !basicMatches(authz, path, f.password) {
		status = 401
	}
	f.mu.Lock()
	f.authz, f.paths, f.statuses = append(f.authz, authz), append(f.paths, path), append(f.statuses, status)
	f.mu.Unlock()
	resp := []Field{{":status", strconv.Itoa(status)}}
	if status == 401 {
		resp = append(resp, Field{"www-authenticate", `Basic realm="ssh3-conformance", charset="UTF-8"`})
	}
	resp = append(resp, versionField(f.p, ""))
	_, _ = st.Write(EncodeHeaders(resp))
	if status != 200 {
		_ = st.Close()
		return
	}
	_, _ = io.Copy(io.Discard, br) // the conversation lasts as long as its stream
}

// basicMatches reports whether authz is Basic credentials with password
// whose user-id equals the percent-decoded ?user= of path.
func basicMatches(authz, path, password string) bool {
	scheme, cred, _ := strings.Cut(authz, " ")
	if !strings.EqualFold(scheme, "basic") {
		return false
	}
	u, pw, err := parseBasic(cred)
	return err == nil && pw == password && u == queryUser(path)
}

// queryUser is the percent-decoded ?user= of a request :path.
func queryUser(path string) string {
	u, err := url.ParseRequestURI(path)
	if err != nil {
		return ""
	}
	return u.Query().Get("user")
}

// channel confirms session and direct-udp channels and refuses others.
func (f *loginFake) channel(st *quic.Stream, br *bufio.Reader) {
	r := frame.NewReader(br, f.p, frame.DefaultMaxMessageSize)
	hdr, p, err := r.ReadHeader()
	if err != nil {
		st.CancelRead(0x10e)
		st.CancelWrite(0x10e)
		return
	}
	msg := func(m frame.Message) []byte {
		b, _ := frame.AppendMessage(nil, m, p, hdr.MaxMessageSize)
		return b
	}
	switch hdr.Type {
	case frame.ChannelDirectUDP:
		target := "?"
		if a, ok := hdr.Extra.(*frame.Address); ok {
			target = a.String()
		}
		f.mu.Lock()
		f.udpOpens = append(f.udpOpens, target)
		f.udpIDs[uint64(st.StreamID())] = true
		f.mu.Unlock()
		_, _ = st.Write(msg(frame.NewOpenConfirmation(frame.DefaultMaxMessageSize)))
		_, _ = io.Copy(io.Discard, br)
		_ = st.Close()
	case frame.ChannelSession:
		r.SetLimits(p, frame.DefaultMaxMessageSize)
		_, _ = st.Write(msg(frame.NewOpenConfirmation(frame.DefaultMaxMessageSize)))
		f.session(st, r, p, msg)
	default:
		_, _ = st.Write(msg(&frame.OpenFailure{Reason: frame.ReasonUnknownChannelType, Description: "not served by the suite"}))
		_ = st.Close()
	}
}

// session answers the client's exec or shell with output and exit-status
// 0, then FIN. Without a password (the UDP forward's fake) it answers
// nothing and holds the session until the client ends it: the original
// ends its forwards with its session.
func (f *loginFake) session(st *quic.Stream, r *frame.Reader, p *frame.Profile, msg func(frame.Message) []byte) {
	started := false
	for !started || f.password == "" {
		m, err := r.ReadMessage()
		if err != nil {
			return
		}
		req, ok := m.(frame.Request)
		if !ok {
			continue
		}
		if p == frame.RTH300 && req.Reply() {
			_, _ = st.Write(msg(&frame.Success{}))
		}
		if n := req.Name(); n == frame.ReqExec || n == frame.ReqShell {
			started = true
		}
	}
	out := msg(&frame.Data{Data: []byte("conformance-output\n")})
	out = append(out, msg(&frame.ExitStatus{Status: 0})...)
	_, _ = st.Write(out)
	_ = st.Close()
	_, _ = io.Copy(io.Discard, st)
}
