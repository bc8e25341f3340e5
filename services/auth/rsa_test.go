package auth_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/blogapi/blogapi/services/auth"
)

const md5OfSecret = "5ebe2294ecd0e0f08eab7690d2a6ee69" // md5("secret")

func publicKeyOf(t *testing.T, p *auth.PasswordTransport) *rsa.PublicKey {
	t.Helper()
	pemText := p.PublicKeyPEM()
	if !strings.HasPrefix(pemText, "-----BEGIN PUBLIC KEY-----\n") {
		t.Fatalf("PublicKeyPEM does not start with a PUBLIC KEY block: %q", pemText)
	}
	block, rest := pem.Decode([]byte(pemText))
	if block == nil || len(strings.TrimSpace(string(rest))) != 0 {
		t.Fatalf("PublicKeyPEM is not one PEM block: %q", pemText)
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pub, ok := k.(*rsa.PublicKey)
	if !ok {
		t.Fatalf("public key is %T", k)
	}
	return pub
}

func encrypt(t *testing.T, pub *rsa.PublicKey, plain string) []byte {
	t.Helper()
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, []byte(plain), nil)
	if err != nil {
		t.Fatal(err)
	}
	return ct
}

func writeKey(t *testing.T, dir, name, pemType string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: pemType, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTransportGeneratedOnceAndReloaded(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // created on demand
	p1, err := auth.LoadOrCreatePasswordTransport("", dir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "rsa_transport_key.pem")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := st.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode %o, want 600", perm)
	}
	if bits := publicKeyOf(t, p1).N.BitLen(); bits != 2048 {
		t.Errorf("generated key has %d bits, want 2048", bits)
	}
	p2, err := auth.LoadOrCreatePasswordTransport("", dir)
	if err != nil {
		t.Fatal(err)
	}
	if p1.PublicKeyPEM() != p2.PublicKeyPEM() {
		t.Fatal("second call generated a new key instead of loading the first")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("data dir holds %d entries, want only the key file (temporary files left behind?)", len(entries))
	}
	// What one instance encrypts for, the other decrypts.
	got, err := p2.Decrypt(base64.StdEncoding.EncodeToString(encrypt(t, publicKeyOf(t, p1), md5OfSecret)))
	if err != nil || got != md5OfSecret {
		t.Fatalf("Decrypt = %q, %v", got, err)
	}
}

func TestTransportConcurrentStartShareOneKey(t *testing.T) {
	dir := t.TempDir()
	const n = 4
	pems := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			p, err := auth.LoadOrCreatePasswordTransport("", dir)
			errs[i] = err
			if err == nil {
				pems[i] = p.PublicKeyPEM()
			}
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("instance %d: %v", i, errs[i])
		}
		if pems[i] != pems[0] {
			t.Fatalf("instance %d has another key than instance 0", i)
		}
	}
	p, err := auth.LoadOrCreatePasswordTransport("", dir)
	if err != nil || p.PublicKeyPEM() != pems[0] {
		t.Fatalf("key on disk differs from the one the instances use (err %v)", err)
	}
}

func TestTransportKeyFile(t *testing.T) {
	dir := t.TempDir()
	key2048, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	key1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key2048)
	if err != nil {
		t.Fatal(err)
	}
	small8, err := x509.MarshalPKCS8PrivateKey(key1024)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&key2048.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a key at all\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		path    string
		wantErr bool
	}{
		{"PKCS#1", writeKey(t, dir, "pkcs1.pem", "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key2048)), false},
		{"PKCS#8", writeKey(t, dir, "pkcs8.pem", "PRIVATE KEY", pkcs8), false},
		{"1024-bit PKCS#1", writeKey(t, dir, "small1.pem", "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key1024)), true},
		{"1024-bit PKCS#8", writeKey(t, dir, "small8.pem", "PRIVATE KEY", small8), true},
		{"public key only", writeKey(t, dir, "pub.pem", "PUBLIC KEY", pubDER), true},
		{"corrupt DER", writeKey(t, dir, "corrupt.pem", "RSA PRIVATE KEY", []byte("junk")), true},
		{"no PEM", garbage, true},
		{"missing file", filepath.Join(dir, "missing.pem"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// dataDir is set too: an explicit file must never fall back to it.
			dataDir := t.TempDir()
			p, err := auth.LoadOrCreatePasswordTransport(tt.path, dataDir)
			if tt.wantErr {
				if err == nil {
					t.Fatal("loaded, want an error")
				}
				if _, statErr := os.Stat(filepath.Join(dataDir, "rsa_transport_key.pem")); statErr == nil {
					t.Fatal("a key was generated in data dir although a key file was given")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !publicKeyOf(t, p).Equal(&key2048.PublicKey) {
				t.Fatal("loaded another key than the file's")
			}
		})
	}
}

func TestTransportGarbageInDataDirIsNotOverwritten(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rsa_transport_key.pem")
	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.LoadOrCreatePasswordTransport("", dir); err == nil {
		t.Fatal("garbage key file accepted")
	}
	if b, _ := os.ReadFile(path); string(b) != "garbage" {
		t.Fatal("existing key file was overwritten")
	}
	if _, err := auth.LoadOrCreatePasswordTransport("", ""); err == nil {
		t.Fatal("no key file and no data dir accepted")
	}
}

func TestTransportDecrypt(t *testing.T) {
	p, err := auth.LoadOrCreatePasswordTransport("", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pub := publicKeyOf(t, p)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ct := encrypt(t, pub, md5OfSecret)
	upper := strings.ToUpper(md5OfSecret)
	sha224Hash, err := rsa.EncryptOAEP(sha256.New224(), rand.Reader, pub, []byte(md5OfSecret), nil)
	if err != nil {
		t.Fatal(err)
	}
	labelled, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, []byte(md5OfSecret), []byte("label"))
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		ciphertext string
		want       string // "" means a 400
	}{
		{"std padded", base64.StdEncoding.EncodeToString(ct), md5OfSecret},
		{"std unpadded", base64.RawStdEncoding.EncodeToString(ct), md5OfSecret},
		{"url padded", base64.URLEncoding.EncodeToString(ct), md5OfSecret},
		{"url unpadded", base64.RawURLEncoding.EncodeToString(ct), md5OfSecret},
		{"surrounding whitespace", " " + base64.StdEncoding.EncodeToString(ct) + "\n", md5OfSecret},
		{"upper-case hex kept", base64.StdEncoding.EncodeToString(encrypt(t, pub, upper)), upper},
		{"empty", "", ""},
		{"not base64", "%%%not base64%%%", ""},
		{"too short", base64.StdEncoding.EncodeToString(ct[:100]), ""},
		{"too long", base64.StdEncoding.EncodeToString(append(ct, ct...)), ""},
		{"huge", strings.Repeat("A", 1<<20), ""},
		{"one bit flipped", base64.StdEncoding.EncodeToString(flip(ct)), ""},
		{"other key", base64.StdEncoding.EncodeToString(encrypt(t, &other.PublicKey, md5OfSecret)), ""},
		{"other OAEP hash", base64.StdEncoding.EncodeToString(sha224Hash), ""},
		{"with a label", base64.StdEncoding.EncodeToString(labelled), ""},
		{"plain password, not md5", base64.StdEncoding.EncodeToString(encrypt(t, pub, "secret")), ""},
		{"33 hex characters", base64.StdEncoding.EncodeToString(encrypt(t, pub, md5OfSecret+"a")), ""},
		{"32 non-hex characters", base64.StdEncoding.EncodeToString(encrypt(t, pub, strings.Repeat("z", 32))), ""},
		{"empty plaintext", base64.StdEncoding.EncodeToString(encrypt(t, pub, "")), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := p.Decrypt(tt.ciphertext)
			if tt.want != "" {
				if err != nil || got != tt.want {
					t.Fatalf("Decrypt = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if err != auth.ErrPasswordUndecryptable {
				t.Fatalf("Decrypt = %q, %v; want exactly ErrPasswordUndecryptable (no cause)", got, err)
			}
			if got != "" {
				t.Fatalf("a refusal carries a value %q", got)
			}
		})
	}
}

func flip(b []byte) []byte {
	c := append([]byte(nil), b...)
	c[len(c)/2] ^= 0x01
	return c
}
