package e2e

import (
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	serverconfig "go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.yaml.in/yaml/v3"

	"hubspot-brevo-sync/internal/config"
)

// Docker is not available to the tests: they parse docker-compose.yml,
// .env.example and worker/Dockerfile and check what `docker compose up
// --scale worker=N` depends on.

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Configs  map[string]struct {
		Content string `yaml:"content"`
	} `yaml:"configs"`
}

type composeService struct {
	Image         string             `yaml:"image"`
	Build         any                `yaml:"build"`
	Ports         []any              `yaml:"ports"`
	ContainerName string             `yaml:"container_name"`
	Hostname      string             `yaml:"hostname"`
	Profiles      []string           `yaml:"profiles"`
	Entrypoint    []string           `yaml:"entrypoint"`
	Command       []string           `yaml:"command"`
	Environment   map[string]string  `yaml:"environment"`
	DependsOn     map[string]any     `yaml:"depends_on"`
	Configs       []composeConfigRef `yaml:"configs"`
}

type composeConfigRef struct {
	Source string `yaml:"source"`
	Target string `yaml:"target"`
}

func readRepoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../../" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	var f composeFile
	if err := yaml.Unmarshal([]byte(readRepoFile(t, "docker-compose.yml")), &f); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	if len(f.Services) == 0 {
		t.Fatal("docker-compose.yml has no services")
	}
	return f
}

// goModVersion is the version go.mod requires of module, without the "v".
func goModVersion(t *testing.T, module string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(module) + `\s+v(\S+)`).FindStringSubmatch(readRepoFile(t, "go.mod"))
	if m == nil {
		t.Fatalf("go.mod does not require %s", module)
	}
	return m[1]
}

// composeDefault is the default of a "${VAR:-default}" value.
func composeDefault(v string) string {
	if m := regexp.MustCompile(`^\$\{[A-Z0-9_]+:-(.*)\}$`).FindStringSubmatch(v); m != nil {
		return m[1]
	}
	return v
}

func TestComposeImagesArePinned(t *testing.T) {
	f := loadCompose(t)
	// The images of the versions the code is built and tested with.
	want := map[string]string{
		"temporalio/server":      goModVersion(t, "go.temporal.io/server"),
		"temporalio/admin-tools": goModVersion(t, "go.temporal.io/server"),
		"temporalio/ui":          goModVersion(t, "github.com/temporalio/ui-server/v2"),
	}
	for name, s := range f.Services {
		if s.Build != nil {
			if s.Image != f.Services["worker"].Image {
				t.Errorf("service %s builds an image other than the worker's: %q", name, s.Image)
			}
			continue
		}
		repo, tag, ok := strings.Cut(s.Image, ":")
		if !ok || tag == "latest" || !regexp.MustCompile(`^\d+(\.\d+)+`).MatchString(tag) {
			t.Errorf("service %s: image %q is not pinned to a version (at least major.minor)", name, s.Image)
		}
		if v, ok := want[repo]; ok && tag != v {
			t.Errorf("service %s: image %q, want tag %s (go.mod)", name, s.Image, v)
		}
	}
	if _, ok := f.Services["temporal"]; !ok || !strings.HasPrefix(f.Services["temporal"].Image, "temporalio/server:") {
		t.Error("the temporal service must run temporalio/server (auto-setup is deprecated)")
	}
}

// TestComposeDynamicConfigLoads: temporalio/server refuses to start without
// a dynamic config file, or with one its loader rejects.
func TestComposeDynamicConfigLoads(t *testing.T) {
	f := loadCompose(t)
	dc, ok := f.Configs["temporal-dynamic-config"]
	if !ok || !slices.ContainsFunc(f.Services["temporal"].Configs, func(c composeConfigRef) bool {
		return c.Source == "temporal-dynamic-config" && c.Target == "/etc/temporal/config/dynamicconfig/docker.yaml"
	}) {
		t.Fatal("the temporal service gets no dynamic config file at the server's default path")
	}
	lr := dynamicconfig.LoadYamlFile([]byte(dc.Content))
	if len(lr.Errors) > 0 || len(lr.Warnings) > 0 || len(lr.Map) == 0 {
		t.Fatalf("dynamic config: errors %v, warnings %v, %d keys", lr.Errors, lr.Warnings, len(lr.Map))
	}
}

// TestComposeServerConfig renders the server's embedded config template, as
// the temporalio/server image does (`temporal-server start`), with the
// temporal service's environment: PostgreSQL on the compose host, the
// databases temporal-schema sets up, the dynamic config the compose file
// mounts.
func TestComposeServerConfig(t *testing.T) {
	f := loadCompose(t)
	svc := f.Services["temporal"]
	for k, v := range svc.Environment {
		t.Setenv(k, v)
	}
	t.Setenv("TEMPORAL_BROADCAST_ADDRESS", "172.18.0.5") // the image's entrypoint derives it
	cfg, err := serverconfig.Load(serverconfig.WithEmbedded())
	if err != nil {
		t.Fatalf("the server would not start with this environment: %v", err)
	}
	schemaScript := strings.Join(f.Services["temporal-schema"].Command, " ")
	for store, db := range map[string]string{cfg.Persistence.DefaultStore: "temporal", cfg.Persistence.VisibilityStore: "temporal_visibility"} {
		sql := cfg.Persistence.DataStores[store].SQL
		if sql == nil || sql.PluginName != "postgres12" || sql.ConnectAddr != "postgresql:5432" || sql.DatabaseName != db || sql.User != "temporal" {
			t.Errorf("store %s: %+v, want postgres12 at postgresql:5432, database %s, user temporal", store, sql, db)
		}
		if !strings.Contains(schemaScript, db+":") {
			t.Errorf("temporal-schema does not set up database %s", db)
		}
	}
	if cfg.DynamicConfigClient == nil || !slices.ContainsFunc(svc.Configs, func(c composeConfigRef) bool { return c.Target == cfg.DynamicConfigClient.Filepath }) {
		t.Errorf("the server reads dynamic config from %+v, which the compose file does not mount", cfg.DynamicConfigClient)
	}
	if rpc := cfg.Services["frontend"].RPC; rpc.GRPCPort != 7233 || rpc.BindOnIP != "0.0.0.0" {
		t.Errorf("frontend listens on %s:%d, want 0.0.0.0:7233 (the published port, reachable from the other containers)", rpc.BindOnIP, rpc.GRPCPort)
	}
}

func TestComposeWorkersScale(t *testing.T) {
	f := loadCompose(t)
	w, ok := f.Services["worker"]
	if !ok {
		t.Fatal("no worker service")
	}
	if w.Build == nil {
		t.Error("the worker is not built from this repository")
	}
	// A fixed host port, container name or hostname makes a second replica
	// fail to start or collide.
	if len(w.Ports) != 0 || w.ContainerName != "" || w.Hostname != "" {
		t.Errorf("worker pins ports %v, container_name %q, hostname %q: --scale worker=3 would fail", w.Ports, w.ContainerName, w.Hostname)
	}
	if len(w.Profiles) != 0 {
		t.Errorf("worker is in profiles %v: up would not start it", w.Profiles)
	}

	dsn, err := url.Parse(composeDefault(w.Environment["SYNC_STORE_DSN"]))
	if err != nil || dsn.Scheme != "postgres" || dsn.Hostname() != "postgresql" {
		t.Fatalf("SYNC_STORE_DSN %q: want the compose PostgreSQL (postgres://...@postgresql), the store several workers share", w.Environment["SYNC_STORE_DSN"])
	}
	db := strings.TrimPrefix(dsn.Path, "/")
	if db == "" || slices.Contains([]string{"postgres", "temporal", "temporal_visibility"}, db) {
		t.Errorf("SYNC_STORE_DSN uses database %q; want one of its own", db)
	}
	created := false
	for name, s := range f.Services {
		if slices.Contains(s.Entrypoint, db) && slices.Contains(s.Entrypoint, "create") {
			created = true
			if _, ok := w.DependsOn[name]; !ok {
				t.Errorf("worker does not wait for %s, which creates database %s", name, db)
			}
		}
	}
	if !created {
		t.Errorf("no service creates the sync store's database %s", db)
	}
}

func TestComposeStarterService(t *testing.T) {
	f := loadCompose(t)
	s, ok := f.Services["starter"]
	if !ok {
		t.Fatal("no starter service for `docker compose run --rm starter ...`")
	}
	if len(s.Profiles) == 0 {
		t.Error("starter has no profile: `docker compose up` would start it")
	}
	if len(s.Entrypoint) == 0 || !strings.HasSuffix(s.Entrypoint[0], "/starter") {
		t.Errorf("starter entrypoint %v does not run the starter binary", s.Entrypoint)
	}
	if s.Image != f.Services["worker"].Image {
		t.Errorf("starter image %q is not the worker's %q", s.Image, f.Services["worker"].Image)
	}

	dockerfile := readRepoFile(t, "worker/Dockerfile")
	for _, want := range []string{"-o /out/worker ./worker", "-o /out/starter ./starter", "/out/worker /out/starter /usr/local/bin/"} {
		if !strings.Contains(dockerfile, want) {
			t.Errorf("worker/Dockerfile lacks %q: the image must carry both binaries", want)
		}
	}
}

// TestEveryVariableIsDocumentedAndPassed: .env.example lists every variable
// the processes read, each after a comment, and compose passes each to the
// worker and the starter.
func TestEveryVariableIsDocumentedAndPassed(t *testing.T) {
	f := loadCompose(t)
	example := strings.Split(readRepoFile(t, ".env.example"), "\n")
	for _, name := range config.Variables() {
		i := slices.IndexFunc(example, func(line string) bool {
			return strings.HasPrefix(strings.TrimPrefix(line, "# "), name+"=")
		})
		if i < 0 {
			t.Errorf(".env.example does not list %s", name)
		} else if i == 0 || !strings.HasPrefix(example[i-1], "#") {
			t.Errorf(".env.example: %s has no comment above it", name)
		}
		for _, svc := range []string{"worker", "starter"} {
			if _, ok := f.Services[svc].Environment[name]; !ok {
				t.Errorf("compose does not pass %s to the %s", name, svc)
			}
		}
	}
}
