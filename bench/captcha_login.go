package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// captchaLogins are real users logging in during the flood: each fetches a
// captcha, answers it (the answer read from the store, as only an
// in-process run can) and logs in with the right password, from a client
// IP of its own. The target: at least captchaLoginTarget of them succeed
// within captchaLoginDeadline.
type captchaLogins struct {
	Tries    int // logins sent
	InTime   int // answered 200 within captchaLoginDeadline
	Failures int // answered anything but 200, or not at all
}

const (
	captchaLoginDeadline = time.Second
	captchaLoginTarget   = 0.95
)

// captchaPeek reads a captcha's answer from the store.
type captchaPeek func(ctx context.Context, id string) (string, error)

// runCaptchaLogins logs seeded users in one at a time until stop is
// closed, as captchaLogins describes, and returns the tally.
func runCaptchaLogins(ctx context.Context, s *signer, base string, users int, peek captchaPeek, stop <-chan struct{}) captchaLogins {
	var got captchaLogins
	client := &http.Client{Timeout: 30 * time.Second}
	password := md5hex(benchPassword)
	for i := uint64(0); ; i++ {
		select {
		case <-stop:
			return got
		case <-ctx.Done():
			return got
		default:
		}
		ip := http.Header{"X-Forwarded-For": {fmt.Sprintf("192.168.%d.%d", i>>8&255, i&255)}}
		id, err := fetchCaptchaID(ctx, client, s.get(base, "/blogapi/service/captcha", nil, ip))
		if err != nil {
			got.Tries++
			got.Failures++
			continue
		}
		answer, err := peek(ctx, id)
		if err != nil {
			got.Tries++
			got.Failures++
			continue
		}
		body, _ := json.Marshal(map[string]string{
			"account": accountName(spread(i+1, users)), "password": password, "captcha": answer, "captcha_id": id,
		})
		start := time.Now()
		code, _, err := call(ctx, client, s.post(base, "/blogapi/login", body, ip))
		elapsed := time.Since(start)
		got.Tries++
		switch {
		case err != nil || code != http.StatusOK:
			got.Failures++
		case elapsed <= captchaLoginDeadline:
			got.InTime++
		}
	}
}

// fetchCaptchaID sends tgt (GET /service/captcha) and returns the captcha
// id the answer names in X-Captcha-Id.
func fetchCaptchaID(ctx context.Context, client *http.Client, tgt requestSpec) (string, error) {
	req, err := http.NewRequestWithContext(ctx, tgt.method, tgt.url, nil)
	if err != nil {
		return "", err
	}
	req.Header = tgt.header
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	id := resp.Header.Get("X-Captcha-Id")
	if resp.StatusCode != http.StatusOK || id == "" {
		return "", fmt.Errorf("captcha: HTTP %d", resp.StatusCode)
	}
	return id, nil
}
