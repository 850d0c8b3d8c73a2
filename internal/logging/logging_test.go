package logging

import (
	"testing"

	"go.temporal.io/sdk/log"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func TestTemporalAdapterKeepsFields(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	l := log.With(Temporal(zap.New(core)), "Namespace", "default")
	l.Info("workflow started", "WorkflowID", "integration/demo", "Attempt", 2, "dangling")

	entries := logs.All()
	if len(entries) != 1 {
		t.Fatalf("want 1 entry, got %d", len(entries))
	}
	got := entries[0].ContextMap()
	want := map[string]any{"Namespace": "default", "WorkflowID": "integration/demo", "Attempt": int64(2), "extra": "dangling"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("field %s = %#v, want %#v (all: %v)", k, got[k], v, got)
		}
	}
}

func TestNewRejectsUnknownLevel(t *testing.T) {
	if _, err := New("loud", "console"); err == nil {
		t.Fatal("level 'loud' accepted")
	}
	if _, err := New("info", "xml"); err == nil {
		t.Fatal("format 'xml' accepted")
	}
	if _, err := New("debug", "json"); err != nil {
		t.Fatal(err)
	}
}
