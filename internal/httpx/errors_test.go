package httpx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"
)

func TestKindForStatus(t *testing.T) {
	cases := map[int]Kind{
		400: KindValidation, 401: KindAuth, 402: KindPermanent, 403: KindAuth, 404: KindNotFound,
		405: KindPermanent, 409: KindDuplicate, 414: KindPermanent, 422: KindValidation,
		423: KindTransient, 425: KindTransient, 429: KindRateLimited, 477: KindPermanent,
		500: KindTransient, 502: KindTransient, 503: KindTransient, 524: KindTransient,
	}
	for status, want := range cases {
		if got := KindForStatus(status); got != want {
			t.Errorf("KindForStatus(%d) = %s, want %s", status, got, want)
		}
	}
}

func TestRetryableFollowsKind(t *testing.T) {
	for _, k := range []Kind{KindRateLimited, KindTransient} {
		if !k.Retryable() {
			t.Errorf("%s should be retryable", k)
		}
	}
	for _, k := range []Kind{KindAuth, KindNotFound, KindValidation, KindDuplicate, KindPermanent} {
		if k.Retryable() {
			t.Errorf("%s should not be retryable", k)
		}
	}
	wrapped := fmt.Errorf("upsert: %w", &Error{API: "brevo", Op: "contacts.upsert", Kind: KindRateLimited, RetryAfter: time.Second})
	if !IsRetryable(wrapped) || !IsKind(wrapped, KindRateLimited) {
		t.Fatal("wrapped rate-limit error not recognised")
	}
	if IsRetryable(errors.New("plain")) {
		t.Fatal("a plain error must not be retryable")
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

var _ net.Error = timeoutErr{}

func TestTransportError(t *testing.T) {
	e := TransportError("hubspot", "contacts.search", fmt.Errorf("post: %w", timeoutErr{}))
	if e.Kind != KindTransient || e.Status != 0 {
		t.Fatalf("timeout classified as %+v", e)
	}
	if got := e.Error(); got != "hubspot contacts.search: Transient: timeout: post: i/o timeout" {
		t.Fatalf("message %q", got)
	}
	if c := TransportError("brevo", "x", context.Canceled); c.Retryable() {
		t.Fatal("our own cancellation must not be retried")
	}
}

func TestRetryStopsOnSuccessPermanentErrorOrBudget(t *testing.T) {
	calls := 0
	err := Retry(context.Background(), time.Second, func() error {
		calls++
		if calls < 3 {
			return &Error{Kind: KindRateLimited, RetryAfter: 10 * time.Millisecond}
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("err=%v calls=%d, want success on the 3rd call", err, calls)
	}

	calls = 0
	err = Retry(context.Background(), time.Second, func() error {
		calls++
		return &Error{Kind: KindAuth}
	})
	if calls != 1 || !IsKind(err, KindAuth) {
		t.Fatalf("permanent error retried: calls=%d err=%v", calls, err)
	}

	calls = 0
	err = Retry(context.Background(), 50*time.Millisecond, func() error {
		calls++
		return &Error{Kind: KindRateLimited, RetryAfter: 40 * time.Millisecond}
	})
	if calls != 2 || !IsKind(err, KindRateLimited) {
		t.Fatalf("budget not respected: calls=%d err=%v", calls, err)
	}
}
