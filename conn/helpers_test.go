package conn

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"

	"github.com/ssh3-project/ssh3/frame"
)

var testSoftware = frame.Software{Name: "ssh3-project/ssh3-test", Version: "0.0.1"}

var (
	certOnce sync.Once
	testCert tls.Certificate
	certPool *x509.CertPool
)

// testTLS returns a server config with a self-signed ECDSA P-256 certificate
// for "localhost" and 127.0.0.1, and a client config that trusts it.
func testTLS(t testing.TB) (*tls.Config, *tls.Config) {
	certOnce.Do(func() {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(1),
			Subject:      pkix.Name{CommonName: "localhost"},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(24 * time.Hour),
			DNSNames:     []string{"localhost"},
			IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			panic(err)
		}
		testCert = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
		cert, _ := x509.ParseCertificate(der)
		certPool = x509.NewCertPool()
		certPool.AddCert(cert)
	})
	return &tls.Config{Certificates: []tls.Certificate{testCert}},
		&tls.Config{RootCAs: certPool, ServerName: "localhost"}
}

// --- goroutine leak check ---------------------------------------------------

var goroutineHeader = regexp.MustCompile(`^goroutine (\d+) \[`)

func goroutines() map[string]string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	out := map[string]string{}
	for _, g := range strings.Split(string(buf), "\n\n") {
		m := goroutineHeader.FindStringSubmatch(g)
		if m == nil {
			continue
		}
		out[m[1]] = g
	}
	return out
}

// checkLeaks fails the test if goroutines started during it are still
// running a few seconds after it ended (style #14).
func checkLeaks(t testing.TB) {
	before := goroutines()
	t.Cleanup(func() {
		var leaked []string
		deadline := time.Now().Add(10 * time.Second)
		for {
			leaked = leaked[:0]
			for id, g := range goroutines() {
				if _, ok := before[id]; ok || benign(g) {
					continue
				}
				leaked = append(leaked, g)
			}
			if len(leaked) == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if len(leaked) > 0 {
			sort.Strings(leaked)
			t.Errorf("%d goroutines leaked:\n%s", len(leaked), strings.Join(leaked, "\n\n"))
		}
	})
}

func benign(g string) bool {
	return strings.Contains(g, "testing.(*T).Run") || strings.Contains(g, "testing.tRunner") && strings.Contains(g, "checkLeaks") ||
		strings.Contains(g, "runtime.goexit") && strings.Contains(g, "created by runtime") ||
		strings.Contains(g, "os/signal.signal_recv")
}

// --- server harness ------------------------------------------------------------

// testAuth accepts "Bearer good" for any user and "Basic" never.
type testAuth struct {
	passwords bool
	hook      func(ctx context.Context, r *AuthRequest) error
}

func (a *testAuth) Authenticate(ctx context.Context, r *AuthRequest) (Identity, error) {
	if a.hook != nil {
		if err := a.hook(ctx, r); err != nil {
			return Identity{}, err
		}
	}
	if r.Authorization != "Bearer good" {
		return Identity{}, errors.New("bad credentials")
	}
	if len(r.Exporter) != 32 {
		return Identity{}, errors.New("no exporter")
	}
	return Identity{User: r.User}, nil
}

func (a *testAuth) PasswordsEnabled() bool { return a.passwords }

// echoHandler: session channels get "hello" at once, then every DATA is
// echoed; direct-udp channels echo datagrams; rth3-00 direct-tcp channels
// echo raw bytes; other types are rejected with reason 3.
func echoHandler(c *Conversation) {
	ctx := context.Background()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		ch, err := c.AcceptChannel(ctx)
		if err != nil {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			serveEchoChannel(ctx, c, ch)
		}()
	}
}

func serveEchoChannel(ctx context.Context, c *Conversation, ch *Channel) {
	switch {
	case ch.Type() == frame.ChannelSession:
		if ch.Confirm() != nil {
			return
		}
		if _, err := ch.WriteData([]byte("hello")); err != nil {
			return
		}
		for {
			m, err := ch.ReadMessage()
			if err != nil {
				_ = ch.Close()
				return
			}
			if d, ok := m.(*frame.Data); ok {
				if _, err := ch.WriteData(d.Data); err != nil {
					return
				}
			}
		}
	case ch.Type() == frame.ChannelDirectUDP:
		_ = ch.Confirm()
		go func() {
			for {
				if _, err := ch.ReadMessage(); err != nil {
					return
				}
			}
		}()
		for {
			b, err := ch.ReceiveDatagram(ctx)
			if err != nil {
				return
			}
			_ = ch.SendDatagram(b)
		}
	case ch.Raw():
		_ = ch.Confirm()
		_, _ = io.Copy(rawWriter{ch}, rawReader{ch})
		_ = ch.CloseWrite()
	default:
		_ = ch.Reject(frame.ReasonUnknownChannelType, "unknown channel type")
	}
}

type rawReader struct{ ch *Channel }
type rawWriter struct{ ch *Channel }

func (r rawReader) Read(p []byte) (int, error)  { return r.ch.Read(p) }
func (w rawWriter) Write(p []byte) (int, error) { return w.ch.Write(p) }

type harness struct {
	t      testing.TB
	srv    *Server
	addr   string
	client *tls.Config
	pc     net.PacketConn
	done   chan error
}

func startServer(t testing.TB, srv *Server) *harness {
	t.Helper()
	serverTLS, clientTLS := testTLS(t)
	if srv.TLSConfig == nil {
		srv.TLSConfig = serverTLS
	}
	if srv.Authenticator == nil {
		srv.Authenticator = &testAuth{}
	}
	if srv.Handler == nil {
		srv.Handler = HandlerFunc(echoHandler)
	}
	srv.Software = testSoftware
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, srv: srv, addr: pc.LocalAddr().String(), client: clientTLS, pc: pc, done: make(chan error, 1)}
	go func() { h.done <- srv.Serve(pc) }()
	t.Cleanup(func() {
		_ = srv.Close()
		if err := <-h.done; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
		_ = pc.Close()
	})
	return h
}

func (h *harness) config(p *frame.Profile) *Config {
	return &Config{
		Profile:       p,
		TLSConfig:     h.client,
		User:          "alice",
		Software:      testSoftware,
		Authorization: func(context.Context, []byte) (string, error) { return "Bearer good", nil },
	}
}

func (h *harness) dial(p *frame.Profile) *Conversation {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, h.addr, h.config(p))
	if err != nil {
		h.t.Fatalf("Dial: %v", err)
	}
	h.t.Cleanup(func() { _ = c.Close() })
	return c
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// readData reads messages until a DATA message and returns its payload.
func readData(t testing.TB, ch *Channel) string {
	t.Helper()
	for {
		m, err := ch.ReadMessage()
		if err != nil {
			t.Fatalf("ReadMessage: %v", err)
		}
		if d, ok := m.(*frame.Data); ok {
			return string(d.Data)
		}
	}
}

// --- raw HTTP/3 client for malformed input -------------------------------------

type rawClient struct {
	t  testing.TB
	qc *quic.Conn
	cc *http3.RawClientConn
}

func (h *harness) raw() *rawClient {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tlsConf := h.client.Clone()
	tlsConf.NextProtos = []string{http3.NextProtoH3}
	qc, err := quic.DialAddr(ctx, h.addr, tlsConf, &quic.Config{EnableDatagrams: true})
	if err != nil {
		h.t.Fatal(err)
	}
	cc := (&http3.Transport{EnableDatagrams: true, DisableCompression: true}).NewRawClientConn(qc)
	go func() {
		for {
			str, err := qc.AcceptUniStream(context.Background())
			if err != nil {
				return
			}
			go cc.HandleUnidirectionalStream(str)
		}
	}()
	h.t.Cleanup(func() { _ = qc.CloseWithError(0x100, "") })
	return &rawClient{t: h.t, qc: qc, cc: cc}
}

type reqOpts struct {
	method, protocol, scheme, path, authority string
	header                                    http.Header
}

func connectReq(p *frame.Profile, authz string) reqOpts {
	h := http.Header{}
	h.Set(p.RequestVersionHeader(), p.ClientVersion(testSoftware, 0))
	if authz != "" {
		h.Set("Authorization", authz)
	}
	return reqOpts{method: http.MethodConnect, protocol: p.Protocol(), scheme: "https", path: DefaultPath + "?user=alice", authority: "localhost", header: h}
}

// send sends a request and returns the stream (for the conversation ID).
func (rc *rawClient) send(o reqOpts) *http3.RequestStream {
	rc.t.Helper()
	rs, err := rc.cc.OpenRequestStream(context.Background())
	if err != nil {
		rc.t.Fatal(err)
	}
	path, query, _ := strings.Cut(o.path, "?")
	u := &url.URL{Scheme: o.scheme, Host: o.authority, Path: path, RawQuery: query}
	req := &http.Request{Method: o.method, URL: u, Host: o.authority, Header: o.header, Proto: o.protocol}
	if req.Header == nil {
		req.Header = http.Header{}
	}
	if o.protocol == "" {
		req.Proto = "HTTP/1.1"
	}
	if err := rs.SendRequestHeader(req); err != nil {
		rc.t.Logf("SendRequestHeader: %v", err) // e.g. the server refused a huge header mid-write
	}
	return rs
}

// do sends a request and reads the response (body included, bounded).
func (rc *rawClient) do(o reqOpts) (*http.Response, string, error) {
	rs := rc.send(o)
	_ = rs.SetReadDeadline(time.Now().Add(5 * time.Second))
	rsp, err := rs.ReadResponse()
	if err != nil {
		return nil, "", err
	}
	var body []byte
	if rsp.StatusCode < 200 || rsp.StatusCode >= 300 {
		body, _ = io.ReadAll(rsp.Body)
	}
	return rsp, string(body), nil
}

// openChannelStream writes raw bytes on a new bidi stream.
func (rc *rawClient) openStream(b []byte) *quic.Stream {
	rc.t.Helper()
	str, err := rc.qc.OpenStreamSync(context.Background())
	if err != nil {
		rc.t.Fatal(err)
	}
	_, _ = str.Write(b) // the server may reset the stream mid-write
	return str
}

// streamCode waits for the stream to be reset and returns the code.
func streamCode(t testing.TB, str *quic.Stream) (Code, error) {
	t.Helper()
	_ = str.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	for {
		_, err := str.Read(buf)
		if err == nil {
			continue
		}
		var se *quic.StreamError
		if errors.As(err, &se) {
			return Code(se.ErrorCode), nil
		}
		return 0, err
	}
}

func header(p *frame.Profile, conv uint64, typ string, extra frame.HeaderExtra) []byte {
	h := frame.ChannelHeader{Conversation: conv, Type: typ, MaxMessageSize: frame.DefaultMaxMessageSize, Extra: extra}
	b, err := h.Append(nil, p)
	if err != nil {
		panic(err)
	}
	return b
}

func udpTarget() frame.HeaderExtra {
	a := frame.IPAddress(netip.MustParseAddrPort("127.0.0.1:9"))
	return &a
}

func name(p *frame.Profile) string { return fmt.Sprint(p) }

func mustAddrPort(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }
