package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/blogapi/blogapi/services"
)

// argon2id parameters of new hashes: OWASP's first recommendation
// (m = 19 MiB, t = 2, p = 1), docs/security.md.
const (
	argonMemoryKiB = 19456
	argonTime      = 2
	argonThreads   = 1
	argonSaltLen   = 16
	argonKeyLen    = 32
)

// Bounds on the parameters read back from a stored hash, so that a corrupt
// or hostile document cannot make one Verify take minutes or gigabytes.
const (
	argonMaxMemoryKiB = 1 << 20 // 1 GiB
	argonMaxTime      = 16
	argonMinSaltLen   = 8
	argonMinKeyLen    = 16
	argonMaxLen       = 64
)

// PasswordHasher hashes the md5 hex a client sends as `password` with
// argon2id (docs/security.md) into a PHC string
// `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>` (salt and hash in
// unpadded standard base64). At most a fixed number of hashes run at once,
// so a login flood cannot starve other requests. Safe for concurrent use.
type PasswordHasher struct {
	sem       chan struct{}
	memoryKiB uint32
	time      uint32
	dummySalt []byte
	// inHash, when set (tests only), runs while a hash holds its slot.
	inHash func()
}

// DefaultHashConcurrency is the number of password hashes that may run at
// once when security.hash_concurrency is 0: half the CPUs, at least one.
// One argon2id hash keeps a CPU busy for tens of milliseconds: with a slot
// per CPU a login flood can take every CPU, with half it leaves the other
// half to every other request (docs/security.md; measured in BENCHMARKS.md).
func DefaultHashConcurrency() int { return max(1, runtime.NumCPU()/2) }

// NewPasswordHasher returns a hasher with the production parameters that
// runs at most concurrency hashes at once (≤ 0: DefaultHashConcurrency()).
func NewPasswordHasher(concurrency int) *PasswordHasher {
	return NewPasswordHasherParams(concurrency, argonMemoryKiB, argonTime)
}

// Concurrency is how many hashes h runs at once (its slots).
func (h *PasswordHasher) Concurrency() int { return cap(h.sem) }

// NewPasswordHasherParams is NewPasswordHasher with the argon2id memory (KiB)
// and time (passes) of new hashes given. Stored hashes are verified with the
// parameters they carry whatever these are. Cheap values are for tests of
// other packages only.
func NewPasswordHasherParams(concurrency int, memoryKiB, time uint32) *PasswordHasher {
	if concurrency <= 0 {
		concurrency = DefaultHashConcurrency()
	}
	return &PasswordHasher{
		sem:       make(chan struct{}, concurrency),
		memoryKiB: memoryKiB,
		time:      time,
		// Fixed so that the dummy hash of an unknown account costs as much
		// as a real one; its output is never compared with anything.
		dummySalt: []byte("blogapi-dummy-salt"),
	}
}

// ErrPasswordFormat: `password` is not md5 hex (docs/security.md).
var ErrPasswordFormat = errors.New("password not md5 hex")

// ValidMD5Hex reports whether s is exactly 32 hex digits, either case.
func ValidMD5Hex(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// Hash returns the PHC string of md5hex (compared lower-cased, so the case
// a client uses does not matter). Errors: ErrPasswordFormat when md5hex is
// not md5 hex; services.ErrBusy when ctx ends while waiting for a hashing
// slot (errors.Is ctx.Err() too).
func (h *PasswordHasher) Hash(ctx context.Context, md5hex string) (string, error) {
	if !ValidMD5Hex(md5hex) {
		return "", ErrPasswordFormat
	}
	salt := make([]byte, argonSaltLen)
	_, _ = rand.Read(salt)
	key, err := h.derive(ctx, md5hex, salt, h.time, h.memoryKiB, argonThreads, argonKeyLen)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, h.memoryKiB, h.time, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// Verify reports whether md5hex matches the stored PHC string encoded,
// comparing in constant time with the parameters encoded carries. An empty
// encoded (unknown account) still costs one hash, so it takes as long as a
// wrong password (docs/security.md), and gives false. md5hex that is not md5 hex
// gives false at once, whatever encoded is. Errors: a malformed encoded; services.ErrBusy as for Hash.
func (h *PasswordHasher) Verify(ctx context.Context, encoded, md5hex string) (bool, error) {
	if !ValidMD5Hex(md5hex) {
		// Refused before any lookup-dependent work, so the answer time says
		// nothing about the account.
		return false, nil
	}
	if encoded == "" {
		_, err := h.derive(ctx, md5hex, h.dummySalt, h.time, h.memoryKiB, argonThreads, argonKeyLen)
		return false, err
	}
	p, err := parsePHC(encoded)
	if err != nil {
		return false, err
	}
	key, err := h.derive(ctx, md5hex, p.salt, p.time, p.memoryKiB, p.threads, uint32(len(p.key)))
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(key, p.key) == 1, nil
}

// derive runs argon2id on the lower-cased md5hex once a slot is free.
func (h *PasswordHasher) derive(ctx context.Context, md5hex string, salt []byte, time, memoryKiB uint32, threads uint8, keyLen uint32) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, errBusy(err)
	}
	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, errBusy(ctx.Err())
	}
	defer func() { <-h.sem }()
	if h.inHash != nil {
		h.inHash()
	}
	return argon2.IDKey([]byte(strings.ToLower(md5hex)), salt, time, memoryKiB, threads, keyLen), nil
}

func errBusy(cause error) error {
	return fmt.Errorf("%w: %w", services.ErrBusy, cause)
}

type phc struct {
	memoryKiB, time uint32
	threads         uint8
	salt, key       []byte
}

var errBadPHC = errors.New("stored password hash is malformed")

// parsePHC reads `$argon2id$v=19$m=<KiB>,t=<passes>,p=<threads>$<salt>$<hash>`.
func parsePHC(s string) (phc, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return phc{}, errBadPHC
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version ||
		parts[2] != fmt.Sprintf("v=%d", version) {
		return phc{}, errBadPHC
	}
	var p phc
	var threads uint32
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memoryKiB, &p.time, &threads); err != nil ||
		parts[3] != fmt.Sprintf("m=%d,t=%d,p=%d", p.memoryKiB, p.time, threads) {
		return phc{}, errBadPHC
	}
	if p.time < 1 || p.time > argonMaxTime || threads < 1 || threads > 255 ||
		p.memoryKiB < 8*threads || p.memoryKiB > argonMaxMemoryKiB {
		return phc{}, errBadPHC
	}
	p.threads = uint8(threads)
	var err error
	if p.salt, err = base64.RawStdEncoding.Strict().DecodeString(parts[4]); err != nil ||
		len(p.salt) < argonMinSaltLen || len(p.salt) > argonMaxLen {
		return phc{}, errBadPHC
	}
	if p.key, err = base64.RawStdEncoding.Strict().DecodeString(parts[5]); err != nil ||
		len(p.key) < argonMinKeyLen || len(p.key) > argonMaxLen {
		return phc{}, errBadPHC
	}
	return p, nil
}
