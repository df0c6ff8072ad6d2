package email

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	smtp "github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/channeltest"
)

type received struct {
	from string
	to   []string
	data []byte
	user string
	pass string
}

// backend is an in-process SMTP server's mailbox.
type backend struct {
	mu       sync.Mutex
	mails    []received
	rcptErrs []error
	// reject refuses these addresses at RCPT TO, whenever they come.
	reject map[string]error
}

func (b *backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{b: b}, nil }

type session struct {
	b   *backend
	cur received
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "alerts" || pass != "s3cret" {
			return errors.New("invalid credentials")
		}
		s.cur.user, s.cur.pass = user, pass
		return nil
	}), nil
}
func (s *session) Mail(from string, _ *smtp.MailOptions) error { s.cur.from = from; return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	if err, ok := s.b.reject[to]; ok {
		return err
	}
	if len(s.b.rcptErrs) > 0 {
		err := s.b.rcptErrs[0]
		s.b.rcptErrs = s.b.rcptErrs[1:]
		return err
	}
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = data
	s.b.mu.Lock()
	s.b.mails = append(s.b.mails, s.cur)
	s.b.mu.Unlock()
	return nil
}
func (s *session) Reset()        { s.cur = received{user: s.cur.user, pass: s.cur.pass} }
func (s *session) Logout() error { return nil }

func (b *backend) received() []received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]received(nil), b.mails...)
}

// selfSigned returns a server TLS config for 127.0.0.1 and the CA file.
func selfSigned(t *testing.T) (*tls.Config, string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}, caFile
}

// startServer serves SMTP on a loopback port; implicit wraps it in TLS.
func startServer(t *testing.T, be *backend, tlsCfg *tls.Config, implicit bool) int {
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	if implicit {
		ln = tls.NewListener(ln, tlsCfg)
	} else {
		srv.TLSConfig = tlsCfg
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().(*net.TCPAddr).Port
}

func newNotifier(t *testing.T, port int, security, caFile string) *Notifier {
	cfg := &Config{
		Host: "127.0.0.1", Port: port, Security: security, Username: "alerts", Password: "s3cret",
		From: "Payments Alerts <alerts@example.com>", To: "ops@example.com, oncall@example.com",
	}
	cfg.TLS.CAFile = caFile
	require.NoError(t, cfg.Validate())
	n, err := New(context.Background(), cfg)
	require.NoError(t, err)
	return n
}

func TestEmailOverSTARTTLSAndImplicitTLS(t *testing.T) {
	for _, security := range []string{SecuritySTARTTLS, SecurityTLS} {
		t.Run(security, func(t *testing.T) {
			tlsCfg, caFile := selfSigned(t)
			be := &backend{}
			port := startServer(t, be, tlsCfg, security == SecurityTLS)
			n := newNotifier(t, port, security, caFile)
			require.NoError(t, n.Notify(context.Background(), channeltest.Notification()))

			mails := be.received()
			require.Len(t, mails, 1)
			m := mails[0]
			assert.Equal(t, "alerts", m.user, "authenticated")
			assert.Equal(t, "alerts@example.com", m.from)
			assert.Equal(t, []string{"ops@example.com", "oncall@example.com"}, m.to)
			msg, err := mail.ReadMessage(bytes.NewReader(m.data))
			require.NoError(t, err)
			subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
			require.NoError(t, err)
			assert.Equal(t, "[FIRING:1] PaymentErrorRate, CheckoutLatency", subject)
			mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
			require.NoError(t, err)
			assert.Equal(t, "multipart/alternative", mediaType)
			parts := map[string]string{}
			mr := multipart.NewReader(msg.Body, params["boundary"])
			for {
				p, err := mr.NextPart()
				if err == io.EOF {
					break
				}
				require.NoError(t, err)
				ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
				body, _ := io.ReadAll(p)
				if p.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
					body = []byte(strings.ReplaceAll(strings.ReplaceAll(string(body), "=\r\n", ""), "=3D", "="))
				}
				parts[ct] = string(body)
			}
			require.Contains(t, parts, "text/plain")
			require.Contains(t, parts, "text/html")
			assert.Contains(t, parts["text/plain"], "PaymentErrorRate above threshold")
			assert.Contains(t, parts["text/html"], "<h2>")
			assert.Contains(t, parts["text/html"], `href="https://runbooks.example.com/PaymentErrorRate"`)
		})
	}
}

func TestEmailErrors(t *testing.T) {
	tlsCfg, caFile := selfSigned(t)
	temp := &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
	perm := &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	// Two recipients per attempt; a permanent refusal is tried once more
	// per recipient alone.
	be := &backend{rcptErrs: []error{temp, temp, perm, perm, perm, perm}}
	port := startServer(t, be, tlsCfg, false)
	n := newNotifier(t, port, SecuritySTARTTLS, caFile)
	var cerr *channel.Error
	require.ErrorAs(t, n.Notify(context.Background(), channeltest.Notification()), &cerr)
	assert.True(t, cerr.Retryable, "4xx is temporary")
	require.ErrorAs(t, n.Notify(context.Background(), channeltest.Notification()), &cerr)
	assert.False(t, cerr.Retryable, "5xx is permanent")
	assert.NotContains(t, cerr.Error(), "s3cret")
	// The error is logged: recipients are personal data.
	assert.NotContains(t, cerr.Error(), "@example.com")

	// STARTTLS is mandatory: a server without TLS is refused, nothing sent.
	plain := &backend{}
	plainPort := startServer(t, plain, nil, false)
	err := newNotifier(t, plainPort, SecuritySTARTTLS, caFile).Notify(context.Background(), channeltest.Notification())
	require.Error(t, err)
	assert.Empty(t, plain.received())

	// Wrong CA: the certificate is not trusted.
	_, otherCA := selfSigned(t)
	err = newNotifier(t, port, SecuritySTARTTLS, otherCA).Notify(context.Background(), channeltest.Notification())
	require.Error(t, err)
}

func TestEmailConfig(t *testing.T) {
	ok := Config{Host: "smtp.example.com", From: "alerts@example.com", To: "a@example.com"}
	require.NoError(t, ok.Validate())
	for name, mutate := range map[string]func(*Config){
		"host":     func(c *Config) { c.Host = "" },
		"security": func(c *Config) { c.Security = "ssl3" },
		"from":     func(c *Config) { c.From = "nope" },
		"to":       func(c *Config) { c.To = "" },
		"password": func(c *Config) { c.Password = "x" },
		"html":     func(c *Config) { c.HTML = "{{" },
	} {
		c := ok
		mutate(&c)
		assert.Error(t, c.Validate(), name)
	}
}

// A mail server that accepts the connection and never answers must not
// hold the attempt past its context (it held SIGTERM for minutes).
func TestEmailHungServerEndsWithContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	for _, security := range []string{SecuritySTARTTLS, SecurityNone, SecurityTLS} {
		t.Run(security, func(t *testing.T) {
			cfg := &Config{Host: "127.0.0.1", Port: port, Security: security, From: "alerts@example.com", To: "ops@example.com"}
			require.NoError(t, cfg.Validate())
			n, err := New(context.Background(), cfg)
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- n.Notify(ctx, channeltest.Notification()) }()
			select {
			case err := <-done:
				var cerr *channel.Error
				require.ErrorAs(t, err, &cerr)
				assert.True(t, cerr.Retryable, "a hang is worth a retry")
			case <-time.After(30 * time.Second):
				t.Fatal("Notify ignores its context while the server hangs")
			}
		})
	}
}

// A server refusing one recipient for good (550: the mailbox was deleted
// when its owner left) makes go-mail reset the whole mail: the alert
// reached nobody, and as the refusal is permanent it was never retried.
// The others must still get it.
func TestEmailRefusedRecipientDoesNotStopTheOthers(t *testing.T) {
	tlsCfg, caFile := selfSigned(t)
	gone := &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "mailbox unavailable"}
	be := &backend{reject: map[string]error{"ops@example.com": gone}}
	port := startServer(t, be, tlsCfg, false)
	n := newNotifier(t, port, SecuritySTARTTLS, caFile)

	note := channeltest.Notification()
	var cerr *channel.Error
	require.ErrorAs(t, n.Notify(context.Background(), note), &cerr)
	assert.False(t, cerr.Retryable, "the refusal is reported")
	mails := be.received()
	require.Len(t, mails, 1)
	assert.Equal(t, []string{"oncall@example.com"}, mails[0].to)
	assert.Equal(t, []string{"oncall@example.com"}, note.DeliveredTo())

	// A retry (the deliverer's, or after a restart) does not mail it twice.
	_ = n.Notify(context.Background(), note)
	assert.Len(t, be.received(), 1)
}
