package devserver

import (
	"testing"
	"time"

	"go.temporal.io/server/common/dynamicconfig"
)

func TestDynamicConfigOverridesDefaults(t *testing.T) {
	client := dynamicConfigClient(map[string]any{
		"System.ForceSearchAttributesCacheRefreshOnRead": false, // keys are case-insensitive
		"limit.historyCount.suggestContinueAsNew":        200,
	})
	get := func(key string) any {
		vs := client.GetValue(dynamicconfig.MakeKey(key))
		if len(vs) != 1 {
			t.Fatalf("%s: %d values, want 1", key, len(vs))
		}
		return vs[0].Value
	}
	if got := get("system.forceSearchAttributesCacheRefreshOnRead"); got != false {
		t.Errorf("override lost: got %v", got)
	}
	if got := get("limit.historyCount.suggestContinueAsNew"); got != 200 {
		t.Errorf("extra key: got %v", got)
	}
	if got := get("frontend.enableServerVersionCheck"); got != false {
		t.Errorf("dev default: got %v", got)
	}
}

func TestNamespaceRefreshInterval(t *testing.T) {
	if got := namespaceRefreshInterval(nil); got != 2*time.Second {
		t.Errorf("default = %v, want the server default 2s", got)
	}
	if got := namespaceRefreshInterval(map[string]any{"system.namespaceCacheRefreshInterval": "500ms"}); got != 500*time.Millisecond {
		t.Errorf("override = %v, want 500ms", got)
	}
}

func TestDialableHost(t *testing.T) {
	for in, want := range map[string]string{"0.0.0.0": "127.0.0.1", "::": "::1", "127.0.0.1": "127.0.0.1", "192.0.2.1": "192.0.2.1"} {
		if got := dialableHost(in); got != want {
			t.Errorf("dialableHost(%q) = %q, want %q", in, got, want)
		}
	}
}
