package servercert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/acme"
)

// testACME is a minimal RFC 8555 CA on loopback for one order and one
// identifier. It does not check JWS signatures; it validates tls-alpn-01 by
// asking the server's own tls.Config for the challenge certificate, as a CA
// would over a TLS connection with ALPN acme-tls/1.
type testACME struct {
	t      *testing.T
	srv    *httptest.Server
	caKey  *ecdsa.PrivateKey
	caCert *x509.Certificate
	nonce  atomic.Int64

	mu        sync.Mutex // guards the fields below
	domain    string
	validated bool
	certPEM   []byte
	serverTLS *tls.Config
}

func newTestACME(t *testing.T) *testACME {
	a := &testACME{t: t}
	a.caKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test ACME CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &a.caKey.PublicKey, a.caKey)
	a.caCert, _ = x509.ParseCertificate(der)
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *testACME) url(p string) string { return a.srv.URL + p }

// payload extracts the JWS payload of a POST.
func payload(r *http.Request) []byte {
	var jws struct{ Payload string }
	json.NewDecoder(r.Body).Decode(&jws)
	b, _ := base64.RawURLEncoding.DecodeString(jws.Payload)
	return b
}

func (a *testACME) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Replay-Nonce", fmt.Sprint("n", a.nonce.Add(1)))
	a.mu.Lock()
	defer a.mu.Unlock()
	reply := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	authzStatus, orderStatus := "pending", "pending"
	if a.validated {
		authzStatus, orderStatus = "valid", "ready"
	}
	if a.certPEM != nil {
		orderStatus = "valid"
	}
	order := func() map[string]any {
		return map[string]any{"status": orderStatus, "identifiers": []any{map[string]string{"type": "dns", "value": a.domain}},
			"authorizations": []string{a.url("/authz/1")}, "finalize": a.url("/finalize/1"), "certificate": a.url("/cert/1")}
	}
	switch r.URL.Path {
	case "/dir":
		reply(200, map[string]string{"newNonce": a.url("/nonce"), "newAccount": a.url("/acct"), "newOrder": a.url("/order"),
			"revokeCert": a.url("/revoke"), "keyChange": a.url("/keychange")})
	case "/nonce":
		w.WriteHeader(200)
	case "/acct":
		w.Header().Set("Location", a.url("/acct/1"))
		reply(201, map[string]string{"status": "valid"})
	case "/order":
		var req struct{ Identifiers []struct{ Value string } }
		json.Unmarshal(payload(r), &req)
		a.domain = req.Identifiers[0].Value
		w.Header().Set("Location", a.url("/order/1"))
		reply(201, order())
	case "/order/1":
		reply(200, order())
	case "/authz/1":
		reply(200, map[string]any{"status": authzStatus, "identifier": map[string]string{"type": "dns", "value": a.domain},
			"challenges": []any{map[string]string{"type": "tls-alpn-01", "url": a.url("/chal/1"), "token": "tok1", "status": authzStatus}}})
	case "/chal/1":
		a.validated = a.checkALPN()
		reply(200, map[string]string{"type": "tls-alpn-01", "url": a.url("/chal/1"), "token": "tok1", "status": "processing"})
	case "/finalize/1":
		var req struct{ CSR string }
		json.Unmarshal(payload(r), &req)
		der, _ := base64.RawURLEncoding.DecodeString(req.CSR)
		csr, err := x509.ParseCertificateRequest(der)
		if err != nil || !a.validated {
			reply(403, map[string]string{"type": "urn:ietf:params:acme:error:unauthorized"})
			return
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), DNSNames: csr.DNSNames, NotBefore: time.Now().Add(-time.Hour),
			NotAfter: time.Now().Add(24 * time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
		leaf, _ := x509.CreateCertificate(rand.Reader, tmpl, a.caCert, csr.PublicKey, a.caKey)
		a.certPEM = append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf}), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.caCert.Raw})...)
		orderStatus = "valid"
		reply(200, order())
	case "/cert/1":
		w.Header().Set("Content-Type", "application/pem-certificate-chain")
		w.Write(a.certPEM)
	default:
		http.NotFound(w, r)
	}
}

// checkALPN asks the server's TLS config for the acme-tls/1 challenge
// certificate and checks its acmeIdentifier extension (RFC 8737 §3).
func (a *testACME) checkALPN() bool {
	c, err := a.serverTLS.GetCertificate(&tls.ClientHelloInfo{ServerName: a.domain, SupportedProtos: []string{acme.ALPNProto}})
	if err != nil {
		a.t.Errorf("challenge certificate: %v", err)
		return false
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		return false
	}
	idPeAcmeIdentifier := asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 31}
	for _, e := range leaf.Extensions {
		if e.Id.Equal(idPeAcmeIdentifier) && e.Critical && strings.Join(leaf.DNSNames, ",") == a.domain {
			return true
		}
	}
	return false
}

func TestACMEAgainstLoopbackCA(t *testing.T) {
	ca := newTestACME(t)
	_, tc, err := NewACME(ACMEConfig{Hosts: []string{"ssh3.example"}, CacheDir: t.TempDir(), AcceptTOS: true,
		DirectoryURL: ca.url("/dir"), HTTPClient: ca.srv.Client()}, "h3")
	if err != nil {
		t.Fatal(err)
	}
	ca.mu.Lock()
	ca.serverTLS = tc
	ca.mu.Unlock()
	cert, err := tc.GetCertificate(&tls.ClientHelloInfo{ServerName: "ssh3.example", SupportedProtos: []string{"h3"}})
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(cert.Certificate[0])
	roots := x509.NewCertPool()
	roots.AddCert(ca.caCert)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: "ssh3.example"}); err != nil {
		t.Error(err)
	}
	// Served from the cache the second time.
	again, err := tc.GetCertificate(&tls.ClientHelloInfo{ServerName: "ssh3.example"})
	if err != nil || string(again.Certificate[0]) != string(cert.Certificate[0]) {
		t.Errorf("cache: %v", err)
	}
}
