package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestEnvName(t *testing.T) {
	for key, want := range map[string]string{
		"data_dir":                           "HANDOFF_DATA_DIR",
		"http.addr":                          "HANDOFF_HTTP_ADDR",
		"health.addr":                        "HANDOFF_HEALTH_ADDR",
		"webchat.limits.visitors_per_minute": "HANDOFF_WEBCHAT_LIMITS_VISITORS_PER_MINUTE",
		"bot.reply.en":                       "HANDOFF_BOT_REPLY_EN",
	} {
		if got := EnvName(key); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestKeysAndEnvNames(t *testing.T) {
	keys := Keys()
	if !slices.IsSorted(keys) || len(keys) != len(defaults) {
		t.Fatalf("Keys() is not the sorted list of the %d keys: %v", len(defaults), keys)
	}
	names := EnvNames()
	if !slices.IsSorted(names) {
		t.Errorf("EnvNames() is not sorted: %v", names)
	}
	for _, name := range []string{"HANDOFF_CONFIG", "HANDOFF_HTTP_ADDR", "HANDOFF_HEALTH_ADDR", "HANDOFF_BOT_REPLY_EN", "HANDOFF_BOT_AGENT_REQUESTED_REPLY_BG"} {
		if _, found := slices.BinarySearch(names, name); !found {
			t.Errorf("EnvNames() lacks %s", name)
		}
	}
	// A map's variable would set the whole map from one string, which
	// Load cannot decode; only its entries are overridden.
	for _, name := range []string{"HANDOFF_BOT_REPLY", "HANDOFF_AUTH_DISPLAY_NAMES", "HANDOFF_HTTP", "HANDOFF_BOT_REPLY_DE"} {
		if _, found := slices.BinarySearch(names, name); found {
			t.Errorf("EnvNames() lists %s, which Load does not read", name)
		}
	}
}

// TestEveryEnvNameIsRead sets each variable of EnvNames in turn to a value
// other than its default and checks that Load took it: the configuration
// differs from the defaults, or Load refuses the value. A name Load did not
// read would leave the defaults as they are.
func TestEveryEnvNameIsRead(t *testing.T) {
	isolate(t)
	base, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range EnvNames() {
		if name == EnvPrefix+"_CONFIG" {
			continue // the file's path, tested in TestConfigFileDiscovery
		}
		t.Run(name, func(t *testing.T) {
			isolate(t)
			t.Setenv(name, otherValue(t, name))
			cfg, err := Load("")
			if err == nil && reflect.DeepEqual(withoutSource(cfg), withoutSource(base)) {
				t.Errorf("%s=%q changed nothing", name, otherValue(t, name))
			}
		})
	}
}

// otherValue is a value of the type of the default of the key behind the
// environment variable name, different from that default.
func otherValue(t *testing.T, name string) string {
	t.Helper()
	var value any
	found := false
	for key, v := range defaults {
		if EnvName(key) == name {
			value, found = v, true
		}
		if m, ok := v.(map[string]any); ok {
			for entry, ev := range m {
				if EnvName(key+"."+entry) == name {
					value, found = ev, true
				}
			}
		}
	}
	if !found {
		t.Fatalf("no key behind %s", name)
	}
	switch v := value.(type) {
	case bool:
		return fmt.Sprint(!v)
	case int:
		return fmt.Sprint(v + 1)
	case float64:
		return fmt.Sprint(v / 2)
	case []string:
		return "a,b"
	case string:
		if strings.HasSuffix(v, "s") || strings.HasSuffix(v, "m") || strings.HasSuffix(v, "h") {
			return "2h3m"
		}
		if v == "x" {
			return "y"
		}
		return "x"
	default:
		t.Fatalf("%s: no other value for a %T", name, value)
		return ""
	}
}
