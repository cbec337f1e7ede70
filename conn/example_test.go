package conn_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"

	"github.com/ssh3-project/ssh3/conn"
	"github.com/ssh3-project/ssh3/frame"
)

// Example runs a server that answers every session channel with "hello",
// and a client that opens one pipelined behind its CONNECT.
func Example() {
	serverTLS, clientTLS := exampleTLS()
	srv := &conn.Server{
		TLSConfig: serverTLS,
		Authenticator: conn.AuthenticatorFunc(func(ctx context.Context, r *conn.AuthRequest) (conn.Identity, error) {
			if r.Authorization != "Bearer demo" {
				return conn.Identity{}, errors.New("denied")
			}
			return conn.Identity{User: r.User}, nil
		}),
		Handler: conn.HandlerFunc(func(c *conn.Conversation) {
			ch, err := c.AcceptChannel(context.Background())
			if err != nil {
				return
			}
			_ = ch.Confirm()
			_, _ = ch.WriteData([]byte("hello " + c.Identity().User))
			<-c.Done()
		}),
	}
	pc, _ := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	defer pc.Close()
	go func() { _ = srv.Serve(pc) }()
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := conn.Dial(ctx, pc.LocalAddr().String(), &conn.Config{
		Profile:       frame.RTH300,
		TLSConfig:     clientTLS,
		User:          "alice",
		Authorization: func(context.Context, []byte) (string, error) { return "Bearer demo", nil },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	ch, _ := c.OpenChannel(ctx, frame.ChannelSession, nil)
	_ = ch.WriteMessage(&frame.Exec{WantReply: true, Command: "echo hello"})
	m, err := ch.ReadMessage()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(m.(*frame.Data).Data))
	// Output: hello alice
}

func exampleTLS() (*tls.Config, *tls.Config) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool, ServerName: "localhost"}
}
