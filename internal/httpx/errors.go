// Package httpx holds what the HubSpot and Brevo clients share: the error
// taxonomy that decides whether a failed call is worth retrying, the rate
// governor that keeps the sync under each API's limits, and the one way an
// HTTP client is set up.
package httpx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// Kind sorts API failures by what the caller should do about them. The
// activity layer maps each kind onto a Temporal retry decision, so the
// classification lives here once rather than in every activity.
type Kind string

const (
	// KindRateLimited: the API (or our own governor, ahead of the API) says
	// "not now". RetryAfter says when to try again.
	KindRateLimited Kind = "RateLimited"
	// KindTransient: 5xx, 423 Locked, 425 Too Early, timeouts, broken
	// connections. Retrying later usually succeeds.
	KindTransient Kind = "Transient"
	// KindAuth: the credentials are missing, invalid, expired beyond repair or
	// lack a scope. A person has to fix the configuration.
	KindAuth Kind = "Unauthorized"
	// KindNotFound: the addressed object (list, contact, process) does not exist.
	KindNotFound Kind = "NotFound"
	// KindValidation: the request was understood and refused as invalid.
	KindValidation Kind = "Validation"
	// KindDuplicate: a unique identifier (email, SMS, ext_id) already belongs
	// to another record. Fields names the identifiers.
	KindDuplicate Kind = "Duplicate"
	// KindPermanent: any other refusal that retrying cannot change (402 no
	// credits, 405, 406, 414 URI too long, ...).
	KindPermanent Kind = "Permanent"
)

// Retryable reports whether a call that failed with this kind may succeed if
// it is simply made again later.
func (k Kind) Retryable() bool {
	return k == KindRateLimited || k == KindTransient
}

// Error is the one error type both API clients return for a failed call.
type Error struct {
	API    string // "hubspot" or "brevo"
	Op     string // what was attempted, e.g. "lists.memberships"
	Status int    // HTTP status; 0 when no response arrived
	Kind   Kind
	// Code is the API's own machine-readable reason: HubSpot's category (or
	// policyName on 429s), Brevo's code.
	Code    string
	Message string
	// Fields names the properties or identifiers the error is about, e.g.
	// Brevo's metadata.duplicate_identifiers or HubSpot's context.propertyName.
	Fields []string
	// RetryAfter is the delay the server asked for or the governor computed;
	// zero means "use the caller's backoff".
	RetryAfter time.Duration
	Err        error // underlying transport error, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: ", e.API, e.Op)
	if e.Status != 0 {
		fmt.Fprintf(&b, "HTTP %d ", e.Status)
	}
	b.WriteString(string(e.Kind))
	if e.Code != "" {
		fmt.Fprintf(&b, " (%s)", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if len(e.Fields) > 0 {
		fmt.Fprintf(&b, " [%s]", strings.Join(e.Fields, ", "))
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, "; retry after %s", e.RetryAfter)
	}
	if e.Err != nil && e.Message == "" {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether the failed call may succeed when made again.
func (e *Error) Retryable() bool { return e.Kind.Retryable() }

// AsError finds an *Error in err's chain.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// IsKind reports whether err is an *Error of the given kind.
func IsKind(err error, k Kind) bool {
	e, ok := AsError(err)
	return ok && e.Kind == k
}

// IsRetryable reports whether err is worth retrying. Errors that did not come
// from an API call (programming errors, bad input) are not.
func IsRetryable(err error) bool {
	e, ok := AsError(err)
	return ok && e.Retryable()
}

// KindForStatus is the default classification of an HTTP status. API clients
// refine it with what the body says (a Brevo 400 that names duplicate
// identifiers is KindDuplicate, for instance).
func KindForStatus(status int) Kind {
	switch {
	case status == 429:
		return KindRateLimited
	case status == 423, status == 425, status == 408, status >= 500:
		return KindTransient
	case status == 401, status == 403:
		return KindAuth
	case status == 404:
		return KindNotFound
	case status == 409:
		return KindDuplicate
	case status == 400, status == 422:
		return KindValidation
	default:
		return KindPermanent
	}
}

// TransportError classifies a failure that produced no HTTP response. The
// caller's own cancellation is not retryable; everything else (timeouts,
// refused or reset connections) is.
func TransportError(api, op string, err error) *Error {
	kind := KindTransient
	if errors.Is(err, context.Canceled) {
		kind = KindPermanent
	}
	var netErr net.Error
	msg := err.Error()
	if errors.As(err, &netErr) && netErr.Timeout() {
		msg = "timeout: " + msg
	}
	return &Error{API: api, Op: op, Kind: kind, Message: msg, Err: err}
}

// Retry calls fn again while it fails with a retryable error and the delays
// add up to at most budget. It is for interactive callers such as the
// starter, which share the APIs' budgets with a busy worker; activities
// never use it, Temporal retries them.
func Retry(ctx context.Context, budget time.Duration, fn func() error) error {
	backoff := 250 * time.Millisecond
	for {
		err := fn()
		e, ok := AsError(err)
		if err == nil || !ok || !e.Retryable() {
			return err
		}
		wait := e.RetryAfter
		if wait <= 0 {
			wait = backoff
			backoff = min(2*backoff, 5*time.Second)
		}
		if wait > budget {
			return err
		}
		budget -= wait
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}
