package conformance

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"sync"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/ssh3-project/ssh3/frame"
	"github.com/ssh3-project/ssh3/wire"
)

// The suite as a server, for client-under-test mode: a raw HTTP/3 server
// on loopback whose every answer a scenario controls, and which records
// what the client sent.

// scenario says how the fake server behaves toward one client run.
type scenario struct {
	profile      *frame.Profile
	settings     []Setting     // nil: 0x06, 0x08=1, 0x33=1
	delay200     time.Duration // hold the 200 this long
	serverHeader string        // alpha server header ("" = reference-like, no caps)
	confirmMax   uint64        // max in our 91 (0: 30000)
	beforeExit   [][]byte      // raw bytes sent on the session channel before the output
	noExit       bool          // FIN the session channel without exit-status
	exitStatus   []byte        // raw exit-status message (nil: exit-status 3)
	openBidi     bool          // open a bidi stream toward the client after the 200
	datagram     []byte        // send this datagram after the 200
}

// capture is what the client sent.
type capture struct {
	mu             sync.Mutex
	settings       []Setting
	settingsErr    error
	datagramTP     bool
	requests       []capturedRequest
	channels       []*capturedChannel
	closeErr       error // how the connection ended
	handshakeAtReq []bool
	openBidiErr    error // why the suite could not open a bidi stream toward the client
}

type capturedRequest struct {
	streamID uint64
	fields   []Field
	binding  []byte
	at       time.Time
}

type capturedChannel struct {
	streamID  uint64
	headerRaw []byte
	header    frame.ChannelHeader
	profile   *frame.Profile
	msgs      []frame.Message
	sizes     []int
	afterOK   []bool // whether each message arrived after the 200 was sent
	headerErr error
	readErr   error
	fin       bool
}

func (c *capture) field(name string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.requests) == 0 {
		return "", false
	}
	for _, f := range c.requests[0].fields {
		if f.Name == name {
			return f.Value, true
		}
	}
	return "", false
}

// fakeServer serves one scenario at a time.
type fakeServer struct {
	*fakeListener
	sc      scenario
	cap     *capture
	mu      sync.Mutex
	sent200 time.Time
}

// selfSigned is a throwaway certificate for 127.0.0.1.
func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{Organization: []string{"ssh3-conformance client-under-test"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"selfsigned.ssh3", "localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// startFake serves sc on a loopback port. It takes 0-RTT, so that the
// checks can see whether a client sends its CONNECT early.
func startFake(cert tls.Certificate, sc scenario) (*fakeServer, error) {
	f := &fakeServer{sc: sc, cap: &capture{}}
	l, err := listenFake(cert, true, f.serve)
	if err != nil {
		return nil, err
	}
	f.fakeListener = l
	return f, nil
}

// waitClosed waits at most d for a connection to end, so that a close the
// client sent is recorded before Close ends the connection itself. A
// client that never connected (none within 200 ms of the call, which comes
// after the client exited) is not waited for.
func (f *fakeServer) waitClosed(d time.Duration) {
	start := time.Now()
	for time.Since(start) < d {
		f.cap.mu.Lock()
		done := f.cap.closeErr != nil
		f.cap.mu.Unlock()
		f.fakeListener.mu.Lock()
		none := len(f.conns) == 0
		f.fakeListener.mu.Unlock()
		if done || none && time.Since(start) > 200*time.Millisecond {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (f *fakeServer) serve(qc *quic.Conn) {
	ctx := qc.Context()
	defer func() {
		// quic-go fails the streams (ending AcceptStream below) before it
		// cancels the connection's context with the cause, so the cause is
		// read only once the context is done; serve returns only when the
		// connection is ending, so this wait is short.
		<-ctx.Done()
		f.cap.mu.Lock()
		f.cap.closeErr = context.Cause(ctx)
		f.cap.mu.Unlock()
	}()
	// SETTINGS go out once the handshake is confirmed: a client that
	// closes before confirmation must use a transport CONNECTION_CLOSE that
	// hides its application error code (RFC 9000 §10.2.3), and the checks
	// need to read that code.
	select {
	case <-qc.HandshakeComplete():
	case <-ctx.Done():
	}
	if f.sc.settings != nil {
		time.Sleep(confirmDelay) // as for datagrams, below
	}
	s := f.sc.settings
	if s == nil {
		s = defaultFakeSettings
	}
	sendSettings(qc, s)
	go f.acceptUni(qc)
	go func() { // drain datagrams
		for {
			if _, err := qc.ReceiveDatagram(ctx); err != nil {
				return
			}
		}
	}()
	for {
		st, err := qc.AcceptStream(ctx)
		if err != nil {
			return
		}
		go f.bidi(qc, st)
	}
}

func (f *fakeServer) acceptUni(qc *quic.Conn) {
	for {
		st, err := qc.AcceptUniStream(qc.Context())
		if err != nil {
			return
		}
		go func() {
			typ, err := wire.ReadVarint(byteReader{st})
			if err != nil || typ != streamTypeControl {
				_, _ = io.Copy(io.Discard, st)
				return
			}
			ft, payload, err := readFrame(st)
			f.cap.mu.Lock()
			if err == nil && ft == h3FrameSettings {
				f.cap.settings, f.cap.settingsErr = ParseSettingsPayload(payload)
			} else if err == nil {
				f.cap.settingsErr = io.ErrUnexpectedEOF
			} else {
				f.cap.settingsErr = err
			}
			f.cap.datagramTP = qc.ConnectionState().SupportsDatagrams.Remote
			f.cap.mu.Unlock()
			_, _ = io.Copy(io.Discard, st)
		}()
	}
}

func (f *fakeServer) bidi(qc *quic.Conn, st *quic.Stream) {
	br := bufio.NewReaderSize(st, 4096)
	first, err := br.Peek(1)
	if err != nil {
		return
	}
	if first[0] == h3FrameHeaders {
		f.request(qc, st, br)
		return
	}
	f.channel(qc, st, br)
}

func (f *fakeServer) request(qc *quic.Conn, st *quic.Stream, br *bufio.Reader) {
	hsDone := false
	select {
	case <-qc.HandshakeComplete():
		hsDone = true
	default:
	}
	_, payload, err := readFrame(br)
	if err != nil {
		return
	}
	fields, err := decodeFields(payload)
	if err != nil {
		return
	}
	cs := qc.ConnectionState().TLS
	bind, _ := bindingFromState(&cs)
	f.cap.mu.Lock()
	f.cap.requests = append(f.cap.requests, capturedRequest{streamID: uint64(st.StreamID()), fields: fields, binding: bind, at: time.Now()})
	f.cap.handshakeAtReq = append(f.cap.handshakeAtReq, hsDone)
	f.cap.mu.Unlock()
	if f.sc.delay200 > 0 {
		time.Sleep(f.sc.delay200)
	}
	p := f.sc.profile
	resp := []Field{{":status", "200"}, versionField(p, f.sc.serverHeader)}
	f.mu.Lock()
	f.sent200 = time.Now()
	f.mu.Unlock()
	_, _ = st.Write(EncodeHeaders(resp))
	if f.sc.openBidi {
		if s, err := qc.OpenStream(); err == nil {
			_, _ = s.Write([]byte{0x01, 0x00})
		} else {
			f.cap.mu.Lock()
			f.cap.openBidiErr = err
			f.cap.mu.Unlock()
		}
	}
	if f.sc.datagram != nil {
		// Give the client time to confirm the handshake (HANDSHAKE_DONE):
		// before that, its close would hide the error code (RFC 9000
		// §10.2.3) and the check could not read it.
		time.Sleep(confirmDelay)
		_ = qc.SendDatagram(f.sc.datagram)
	}
	_, _ = io.Copy(io.Discard, br) // keep the CONNECT stream open until the client ends it
}

func (f *fakeServer) after200() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return !f.sent200.IsZero()
}

func (f *fakeServer) channel(qc *quic.Conn, st *quic.Stream, br *bufio.Reader) {
	raw, _ := br.Peek(min(br.Buffered(), 64))
	rec := &capturedChannel{streamID: uint64(st.StreamID()), headerRaw: append([]byte(nil), raw...)}
	f.cap.mu.Lock()
	f.cap.channels = append(f.cap.channels, rec)
	f.cap.mu.Unlock()
	r := frame.NewReader(br, f.sc.profile, frame.DefaultMaxMessageSize)
	hdr, p, err := r.ReadHeader()
	f.cap.mu.Lock()
	rec.header, rec.profile, rec.headerErr = hdr, p, err
	if err == nil {
		rec.headerRaw = rec.headerRaw[:min(len(rec.headerRaw), hdr.Len(p))]
	}
	f.cap.mu.Unlock()
	if err != nil {
		st.CancelRead(0x10e)
		st.CancelWrite(0x10e)
		return
	}
	if hdr.Type != frame.ChannelSession {
		b, _ := frame.AppendMessage(nil, &frame.OpenFailure{Reason: frame.ReasonUnknownChannelType, Description: "not served by the suite"}, p, hdr.MaxMessageSize)
		_, _ = st.Write(b)
		_ = st.Close()
		return
	}
	max := f.sc.confirmMax
	if max == 0 {
		max = frame.DefaultMaxMessageSize
	}
	r.SetLimits(p, max)
	b, _ := frame.AppendMessage(nil, frame.NewOpenConfirmation(max), p, hdr.MaxMessageSize)
	_, _ = st.Write(b)
	started := make(chan struct{})
	var once sync.Once
	go func() {
		for {
			m, err := r.ReadMessage()
			f.cap.mu.Lock()
			if err != nil {
				if err == io.EOF {
					rec.fin = true
				} else {
					rec.readErr = err
				}
				f.cap.mu.Unlock()
				once.Do(func() { close(started) })
				return
			}
			rec.msgs = append(rec.msgs, m)
			rec.sizes = append(rec.sizes, m.Len(p))
			rec.afterOK = append(rec.afterOK, f.after200())
			f.cap.mu.Unlock()
			if req, ok := m.(frame.Request); ok {
				if p == frame.RTH300 && req.Reply() {
					b, _ := frame.AppendMessage(nil, &frame.Success{}, p, hdr.MaxMessageSize)
					_, _ = st.Write(b)
				}
				if n := req.Name(); n == frame.ReqExec || n == frame.ReqShell {
					once.Do(func() { close(started) })
				}
			}
		}
	}()
	select {
	case <-started:
	case <-time.After(5 * time.Second):
	}
	time.Sleep(200 * time.Millisecond) // let stdin arrive
	out := []byte{}
	for _, x := range f.sc.beforeExit {
		out = append(out, x...)
	}
	out, _ = frame.AppendMessage(out, &frame.Data{Data: []byte("conformance-output\n")}, p, hdr.MaxMessageSize)
	if !f.sc.noExit {
		if f.sc.exitStatus != nil {
			out = append(out, f.sc.exitStatus...)
		} else {
			out, _ = frame.AppendMessage(out, &frame.ExitStatus{Status: 3}, p, hdr.MaxMessageSize)
		}
	}
	_, _ = st.Write(out)
	if f.sc.noExit || f.clientHalfCloses() {
		_ = st.Close()
	}
	// Else the channel stays open until the connection ends, as the
	// original's server keeps it: its client loses the exit-status's last
	// byte when a FIN comes with it (conversation.go:263-270), and the
	// checks judge the exit status, not how the client copes with a FIN.
}

// clientHalfCloses reports whether the client's CONNECT announced the
// half-close capability (frame.Peer.MayHalfClose): rth3-00 has it by
// default, a ssh3-alpha client only with caps=eof.
func (f *fakeServer) clientHalfCloses() bool {
	p := f.sc.profile
	f.cap.mu.Lock()
	defer f.cap.mu.Unlock()
	for i := len(f.cap.requests) - 1; i >= 0; i-- {
		for _, fl := range f.cap.requests[i].fields {
			if fl.Name == p.RequestVersionHeader() {
				v, err := p.AcceptVersion(fl.Value, true)
				return err == nil && v.Caps.Has(frame.CapEOF)
			}
		}
	}
	return p == frame.RTH300
}

// confirmDelay is how long the fake server lets a client confirm the
// handshake before sending input the client must close the connection on.
const confirmDelay = 100 * time.Millisecond
