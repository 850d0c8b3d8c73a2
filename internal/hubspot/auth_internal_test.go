package hubspot

import (
	"errors"
	"testing"
	"time"

	"go.uber.org/zap"
)

func TestFailedEarlyRefreshKeepsTheWorkingToken(t *testing.T) {
	refused := errors.New("token endpoint down")
	g := &refreshGrant{log: zap.NewNop(), current: "at-1", realExpiry: time.Now().Add(time.Minute)}
	tok, err := g.fallback(refused)
	if err != nil || tok.AccessToken != "at-1" {
		t.Fatalf("fallback with a minute left = %v, %v; want the current token", tok, err)
	}
	if wait := time.Until(tok.Expiry); wait <= 0 || wait > refreshRetryDelay {
		t.Errorf("asks again in %v, want within %v", wait, refreshRetryDelay)
	}

	g.realExpiry = time.Now().Add(expirySkew / 2) // too close to expiry to hand out
	if _, err := g.fallback(refused); !errors.Is(err, refused) {
		t.Errorf("fallback near expiry = %v, want the refresh error", err)
	}
	g.realExpiry = time.Now().Add(time.Minute)
	if !g.forget("at-1") || g.forget("at-1") {
		t.Error("forget drops the current token once")
	}
	if _, err := g.fallback(refused); !errors.Is(err, refused) {
		t.Errorf("fallback after a 401 = %v, want the refresh error", err)
	}
}
