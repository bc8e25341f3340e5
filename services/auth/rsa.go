package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

const (
	// transportKeyFileName is the generated key's file under data.dir
	//.
	transportKeyFileName = "rsa_transport_key.pem"
	// transportKeyMinBits is the smallest modulus accepted (NIST SP
	// 800-57: at least 2048 bits); it is also the size generated.
	transportKeyMinBits = 2048
)

// PasswordEncRSA is the password_enc value meaning password fields are
// base64 RSA-OAEP-SHA256 ciphertexts of the md5 hex (seeds 000, 003).
const PasswordEncRSA = "rsa-oaep-sha256"

// ErrPasswordUndecryptable is the one answer to any ciphertext that does not
// yield an md5 hex password, so a client learns nothing about why.
var ErrPasswordUndecryptable = errors.New("password could not be decrypted")

// PasswordTransport decrypts passwords sent as `password_enc:
// rsa-oaep-sha256` (seeds 000 and 003): the client encrypts
// the md5 hex of the password with the public key served at
// GET /blogapi/service/pubkey, using RSA-OAEP with SHA-256 (for both the
// digest and MGF1, as WebCrypto and OpenSSL do with an "sha256" OAEP hash)
// and no label. Safe for concurrent use.
type PasswordTransport struct {
	key       *rsa.PrivateKey
	publicPEM string
}

// LoadOrCreatePasswordTransport returns the transport key.
//
// keyFile set (security.rsa_private_key_file): the file must hold a PEM
// "PRIVATE KEY" (PKCS#8) or "RSA PRIVATE KEY" (PKCS#1) RSA key of at least
// 2048 bits; anything else is an error.
//
// keyFile empty: the key is dataDir/rsa_transport_key.pem (data.dir),
// generated (2048 bits, PKCS#8, mode 0600) when missing. The new key is
// written to a temporary file and hard-linked into place, so instances that
// start together on a shared directory end up with the one key whichever
// wins; the losers load the winner's. Where hard links are not supported
// the file is created with O_EXCL instead. An existing file that does not
// parse is an error, never overwritten.
func LoadOrCreatePasswordTransport(keyFile, dataDir string) (*PasswordTransport, error) {
	if keyFile != "" {
		return loadPasswordTransport(keyFile)
	}
	if dataDir == "" {
		return nil, errors.New("rsa transport key: neither a key file nor a data dir is set")
	}
	path := filepath.Join(dataDir, transportKeyFileName)
	p, err := loadPasswordTransport(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return p, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("rsa transport key: %w", err)
	}
	key, err := rsa.GenerateKey(rand.Reader, transportKeyMinBits)
	if err != nil {
		return nil, fmt.Errorf("rsa transport key: generate: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("rsa transport key: marshal: %w", err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	won, err := publishKeyFile(path, pemBytes)
	if err != nil {
		return nil, fmt.Errorf("rsa transport key: %w", err)
	}
	if !won {
		return loadPasswordTransport(path)
	}
	return newPasswordTransport(key)
}

// publishKeyFile puts data at path unless a file is already there. It
// reports whether this call created the file; false with a nil error means
// another process did first.
func publishKeyFile(path string, data []byte) (bool, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".rsa_transport_key-*.tmp")
	if err != nil {
		return false, err
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName)
	if err := writeAndSync(tmp, data); err != nil {
		return false, err
	}
	err = os.Link(tmpName, path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrExist):
		return false, nil
	}
	// No hard links here (some network and FUSE file systems): exclusive
	// create. A concurrent reader may then see the file half-written, which
	// only costs it a failed start.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := writeAndSync(f, data); err != nil {
		_ = os.Remove(path)
		return false, err
	}
	return true, nil
}

// writeAndSync writes data to f (created with mode 0600), syncs and closes it.
func writeAndSync(f *os.File, data []byte) error {
	if err := f.Chmod(0o600); err != nil {
		_ = f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// loadPasswordTransport reads a PEM RSA private key from path. A missing
// file is an error matching fs.ErrNotExist.
func loadPasswordTransport(path string) (*PasswordTransport, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("rsa transport key: %w", err)
	}
	key, err := parseRSAPrivateKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("rsa transport key %s: %w", path, err)
	}
	return newPasswordTransport(key)
}

// parseRSAPrivateKeyPEM takes the first private key block of data, PKCS#8
// or PKCS#1, and checks that it is RSA of at least 2048 bits.
func parseRSAPrivateKeyPEM(data []byte) (*rsa.PrivateKey, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, errors.New(`no "PRIVATE KEY" or "RSA PRIVATE KEY" PEM block`)
		}
		var key *rsa.PrivateKey
		switch block.Type {
		case "RSA PRIVATE KEY":
			k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parse PKCS#1 key: %w", err)
			}
			key = k
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parse PKCS#8 key: %w", err)
			}
			rk, ok := k.(*rsa.PrivateKey)
			if !ok {
				return nil, fmt.Errorf("PKCS#8 key is %T, not RSA", k)
			}
			key = rk
		default:
			continue
		}
		if bits := key.N.BitLen(); bits < transportKeyMinBits {
			return nil, fmt.Errorf("RSA key has %d bits, at least %d are required", bits, transportKeyMinBits)
		}
		return key, nil
	}
}

func newPasswordTransport(key *rsa.PrivateKey) (*PasswordTransport, error) {
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("rsa transport key: marshal public key: %w", err)
	}
	return &PasswordTransport{
		key:       key,
		publicPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})),
	}, nil
}

// PublicKeyPEM is the public key as PEM "PUBLIC KEY" (PKIX,
// SubjectPublicKeyInfo), newline-terminated, for GET /blogapi/service/pubkey.
func (p *PasswordTransport) PublicKeyPEM() string { return p.publicPEM }

// Decrypt returns the md5 hex password inside ciphertext: base64 (standard
// or URL alphabet, padded or not, surrounding whitespace ignored) of an
// RSA-OAEP-SHA256 ciphertext of exactly the key's size (256 bytes for a
// 2048-bit key). The plaintext is returned as decrypted (either hex case).
//
// Errors: ErrPasswordUndecryptable when the input
// does not decode or decrypt, or the plaintext is not 32 hex characters;
// the cause is never attached, so no crypto detail reaches a client or log.
func (p *PasswordTransport) Decrypt(ciphertext string) (string, error) {
	size := p.key.Size()
	s := strings.TrimSpace(ciphertext)
	// Longer than the padded base64 of one ciphertext: refuse before decoding.
	if s == "" || len(s) > base64.StdEncoding.EncodedLen(size) {
		return "", ErrPasswordUndecryptable
	}
	s = strings.TrimRight(s, "=")
	s = strings.NewReplacer("-", "+", "_", "/").Replace(s)
	ct, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil || len(ct) != size {
		return "", ErrPasswordUndecryptable
	}
	plain, err := rsa.DecryptOAEP(sha256.New(), nil, p.key, ct, nil)
	if err != nil || !ValidMD5Hex(string(plain)) {
		return "", ErrPasswordUndecryptable
	}
	return string(plain), nil
}
