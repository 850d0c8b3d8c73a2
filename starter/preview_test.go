package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http/httptest"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/manage"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/sandbox"
)

// fmSandboxEnv serves a sandbox seeded with contacts and points HUBSPOT_*
// and BREVO_* at it; Temporal is unreachable, so nothing can be started.
func fmSandboxEnv(t *testing.T, contacts int, bo sandbox.BrevoOptions) *sandbox.Server {
	t.Helper()
	sb := sandbox.New(sandbox.Options{Brevo: bo})
	sb.HubSpot().Seed(sandbox.SeedOptions{Contacts: contacts, Seed: 5})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	for _, k := range []string{
		"TEMPORAL_NAMESPACE", "SYNC_TASK_QUEUE", "HUBSPOT_TIER", "HUBSPOT_CLIENT_ID", "HUBSPOT_CLIENT_SECRET",
		"HUBSPOT_REFRESH_TOKEN", "BREVO_TIER", "SYNC_MONTHLY_TASK_LIMIT", "SYNC_NOTIFY_EMAIL", "SYNC_NOTIFY_SENDER",
		"SYNC_POLL_INTERVAL", "SYNC_LOG_LEVEL", "SYNC_LOG_FORMAT",
	} {
		t.Setenv(k, "")
		if err := os.Unsetenv(k); err != nil {
			t.Fatal(err)
		}
	}
	env := sandbox.DevEnv(srv.URL)
	t.Setenv("HUBSPOT_BASE_URL", env.HubSpotBaseURL)
	t.Setenv("HUBSPOT_ACCESS_TOKEN", env.HubSpotToken)
	t.Setenv("BREVO_BASE_URL", env.BrevoBaseURL)
	t.Setenv("BREVO_API_KEY", env.BrevoAPIKey)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("TEMPORAL_ADDRESS", l.Addr().String())
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return sb
}

func fmRun(args ...string) (string, error) {
	var out bytes.Buffer
	err := run(context.Background(), args, &out)
	return out.String(), err
}

// fmBrevoState is what a dry run must leave alone.
type fmBrevoState struct {
	Writes     int64
	Contacts   int
	Attributes []string
	Lists      int
	Posts      int64
}

func fmBrevo(sb *sandbox.Server) fmBrevoState {
	st, stats := sb.Brevo().State(), sb.Brevo().Stats()
	s := fmBrevoState{Writes: stats.ContactWrites, Contacts: len(st.Contacts), Lists: len(st.Lists)}
	for _, a := range st.Attributes {
		s.Attributes = append(s.Attributes, a.Name)
	}
	for route, n := range stats.Endpoints {
		if !strings.HasPrefix(route, "GET ") {
			s.Posts += n
		}
	}
	return s
}

var fmCreate = []string{"create", "--name", "demo", "--hubspot-list", "1", "--brevo-list", "1", "--opt-in-confirmed"}

func fmArgs(extra ...string) []string { return append(append([]string(nil), fmCreate...), extra...) }

// TestCreateDryRunPrintsAndWritesNothing drives `create --dry-run` as a
// person would, with Temporal down: it prints the mapping, the attributes
// that would be created, the contacts that would be written, the values
// left out and the skipped contacts with their reasons, and Brevo is
// untouched.
func TestCreateDryRunPrintsAndWritesNothing(t *testing.T) {
	sb := fmSandboxEnv(t, 300, sandbox.BrevoOptions{})
	before := fmBrevo(sb)
	out, err := fmRun(fmArgs("--map", "email=EMAIL", "--map", "firstname=FIRSTNAME", "--map", "phone=SMS",
		"--map", "lifecyclestage=STAGE", "--map", "interests=INTERESTS:text", "--create-attributes", "--dry-run", "--sample", "250")...)
	if err != nil {
		t.Fatal(err)
	}
	if after := fmBrevo(sb); !reflect.DeepEqual(before, after) {
		t.Fatalf("the dry run changed Brevo: %+v -> %+v", before, after)
	}
	for _, want := range []string{
		"dry run of demo: nothing was written to Brevo and no integration was started",
		"HubSpot list 1: read the first 250 of 300 members",
		"Brevo attributes that would be created (2)",
		"1 Subscriber, 2 Lead, 3 Marketing Qualified Lead",
		"EXT_ID", "ATTRIBUTES",
		"invalid_phone", "want 6-16",
		"no_identifier", "is not an email address",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, row := range []string{
		`lifecyclestage\s+enumeration/select\s+STAGE\s+category \(to be created\)`,
		`interests\s+enumeration/checkbox\s+INTERESTS\s+text \(to be created\)`,
		`phone\s+string/phonenumber\s+SMS\s+SMS identifier`,
		`firstname\s+string/text\s+FIRSTNAME\s+text\n`,
	} {
		if !regexp.MustCompile(row).MatchString(out) {
			t.Errorf("mapping table lacks a row like %s:\n%s", row, out)
		}
	}
	written := fmCount(t, out, `would write (\d+) contacts`)
	skipped := fmCount(t, out, `would skip (\d+) contacts`)
	notes := fmCount(t, out, `values left out \((\d+)\)`)
	if written+skipped != 250 || skipped == 0 || notes == 0 {
		t.Errorf("written %d + skipped %d should be 250 with some skipped and some values left out (%d)", written, skipped, notes)
	}
	if !regexp.MustCompile(`STAGE=\d \((Subscriber|Lead|Customer|Other|Opportunity|Evangelist|Marketing Qualified Lead|Sales Qualified Lead)\)`).MatchString(out) {
		t.Errorf("category values should show their label:\n%s", out)
	}
}

func fmCount(t *testing.T, out, pattern string) int {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %q in\n%s", pattern, out)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestCreateDryRunJSON is the script's view of the same dry run, on a
// French account: PRENOM exists, FIRSTNAME is refused.
func TestCreateDryRunJSON(t *testing.T) {
	sb := fmSandboxEnv(t, 40, sandbox.BrevoOptions{Language: "fr"})
	before := fmBrevo(sb)

	_, err := fmRun(fmArgs("--map", "email=EMAIL", "--map", "firstname=FIRSTNAME", "--dry-run")...)
	if err == nil || !strings.Contains(err.Error(), "Brevo has no contact attribute FIRSTNAME") {
		t.Fatalf("FIRSTNAME on a French account: %v", err)
	}

	out, err := fmRun(fmArgs("--map", "email=EMAIL", "--map", "firstname=PRENOM", "--map", "lastname=NOM",
		"--map", "date_of_birth=DOB", "--create-attributes", "--dry-run", "--json")...)
	if err != nil {
		t.Fatal(err)
	}
	var p manage.Preview
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if p.Read != manage.DefaultSample || p.ListSize != 40 || len(p.Contacts)+len(p.Skipped) != p.Read {
		t.Fatalf("read %d of %d: %d contacts, %d skipped", p.Read, p.ListSize, len(p.Contacts), len(p.Skipped))
	}
	if len(p.MissingAttributes) != 1 || p.MissingAttributes[0].Name != "DOB" || p.MissingAttributes[0].Type != "date" {
		t.Fatalf("missing attributes %+v, want DOB (date) only", p.MissingAttributes)
	}
	named := 0
	for _, c := range p.Contacts {
		if c.ExtID == "" || c.Email == "" {
			t.Errorf("contact %+v lacks ext_id or email", c)
		}
		if _, ok := c.Attributes["PRENOM"]; ok {
			named++
		}
	}
	if named == 0 {
		t.Error("no contact would get PRENOM")
	}
	if after := fmBrevo(sb); !reflect.DeepEqual(before, after) {
		t.Fatalf("the dry run changed Brevo: %+v -> %+v", before, after)
	}
}

// TestFieldMappingRefusals: the new flags' mistakes are one line, before
// Temporal is contacted.
func TestFieldMappingRefusals(t *testing.T) {
	sb := fmSandboxEnv(t, 10, sandbox.BrevoOptions{})
	before := fmBrevo(sb)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"sample without dry run", fmArgs("--map", "email=EMAIL", "--sample", "5"), "--sample and --json go with --dry-run"},
		{"sample too large", fmArgs("--map", "email=EMAIL", "--dry-run", "--sample", "251"), "--sample 251: want 1-250"},
		{"missing attribute", fmArgs("--map", "email=EMAIL", "--map", "lifecyclestage=STAGE", "--dry-run"), "--create-attributes creates it as category"},
		{"missing attribute, real create", fmArgs("--map", "email=EMAIL", "--map", "lifecyclestage=STAGE"), "--create-attributes creates it as category"},
		{"suffix clash", fmArgs("--map", "email=EMAIL", "--map", "interests=TOPICS:category", "--create-attributes"), "do not fit a Brevo category attribute"},
		{"suffix against the existing type", fmArgs("--map", "email=EMAIL", "--map", "lifecyclestage=FIRSTNAME:category"), "FIRSTNAME is a text attribute, not category"},
		{"unknown suffix", fmArgs("--map", "email=EMAIL", "--map", "lifecyclestage=STAGE:enum"), `unknown type "enum"`},
		{"preview needs a name", []string{"preview"}, "preview needs exactly one integration name"},
		{"preview sample", []string{"preview", "demo", "--sample", "0", "--sample", "-2"}, "--sample -2"},
		{"report needs a name", []string{"report", "a", "b"}, "report needs exactly one integration name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := fmRun(c.args...)
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v, want one line containing %q", err, c.want)
			}
			if strings.Contains(err.Error(), "Temporal") || out != "" {
				t.Fatalf("refused after Temporal or with output: %v / %q", err, out)
			}
		})
	}
	if after := fmBrevo(sb); !reflect.DeepEqual(before, after) {
		t.Fatalf("refusals changed Brevo: %+v -> %+v", before, after)
	}
	// preview and report need Temporal (the saved integration): with it
	// down, they say so in one line.
	for _, args := range [][]string{{"preview", "demo"}, {"report", "demo", "--json"}} {
		if _, err := fmRun(args...); err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v with Temporal down: %v", args, err)
		}
	}
}

// TestReportOutput prints a report for people and for scripts.
func TestReportOutput(t *testing.T) {
	st := integration.Status{
		Name: "demo", State: integration.StateIdle, ContactsSynced: 1884, ContactsSkipped: 116, ContactsFailed: 1,
		SkippedByReason: map[string]int64{mapping.ReasonNoIdentifier: 116},
		RecentProblems: []mapping.Outcome{
			{HubSpotID: "100005", Kind: mapping.OutcomeSkipped, Reason: mapping.ReasonNoIdentifier, Text: "no email and no SMS mapped value"},
			{HubSpotID: "100017", Email: "zoe.17@example.com", Kind: mapping.OutcomeCreated, Reason: mapping.ReasonInvalidPhone, Text: `phone "1739" has 4 digits, want 6-16`},
			{HubSpotID: "100020", Email: "bob.20@example.com", Kind: mapping.OutcomeFailed, Reason: mapping.ReasonRejected, Text: "Brevo: Invalid email address"},
		},
	}
	var b bytes.Buffer
	printReport(&b, manage.NewReport(st))
	out := b.String()
	for _, want := range []string{
		"integration demo (idle): 1884 synced, 116 skipped, 1 failed in total",
		"skipped by reason  no_identifier 116",
		"latest 3 records, newest first",
		"HUBSPOT ID  EMAIL               KIND     REASON         TEXT",
		"by kind    created 1, failed 1, skipped 1",
		"by reason  invalid_phone 1, no_identifier 1, rejected 1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if i, j := strings.Index(out, "100020"), strings.Index(out, "100005"); i < 0 || j < 0 || i > j {
		t.Errorf("newest (100020) should come before oldest (100005):\n%s", out)
	}
	if !strings.Contains(out, "100005      -") {
		t.Errorf("a record without email shows -:\n%s", out)
	}

	b.Reset()
	printReport(&b, manage.NewReport(integration.Status{Name: "quiet", State: integration.StateIdle}))
	if !strings.Contains(b.String(), "no skipped or failed records") {
		t.Errorf("empty report:\n%s", b.String())
	}

	b.Reset()
	if err := printJSON(&b, manage.NewReport(st)); err != nil {
		t.Fatal(err)
	}
	var r struct {
		Problems []mapping.Outcome `json:"problems"`
		ByKind   map[string]int    `json:"byKind"`
		ByReason map[string]int    `json:"byReason"`
	}
	if err := json.Unmarshal(b.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Problems) != 3 || r.Problems[0].HubSpotID != "100020" || r.ByKind["skipped"] != 1 || r.ByReason["rejected"] != 1 {
		t.Errorf("JSON report %+v", r)
	}
}

func TestUsageNamesTheNewCommands(t *testing.T) {
	out, err := fmRun("help")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--create-attributes", "--dry-run [--sample K]", "preview NAME [--sample K] [--json]", "report NAME [--json]", ":category|text|multiple-choice"} {
		if !strings.Contains(out, want) {
			t.Errorf("usage lacks %q", want)
		}
	}
}

// TestCreateDryRunShowsTheConsentOptions: with --sync-opt-outs and
// --only-marketing-contacts the dry run names the options and, per sampled
// contact, what they would do; Brevo is untouched.
func TestCreateDryRunShowsTheConsentOptions(t *testing.T) {
	sb := fmSandboxEnv(t, 300, sandbox.BrevoOptions{})
	before := fmBrevo(sb)
	out, err := fmRun(fmArgs("--map", "email=EMAIL", "--sync-opt-outs", "--only-marketing-contacts", "--dry-run", "--sample", "250")...)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"consent options", "sync opt-outs:", "only marketing contacts:"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks %q:\n%s", want, out)
		}
	}
	ids, err := sb.HubSpot().ListMembers("1")
	if err != nil {
		t.Fatal(err)
	}
	blocked, skipped := 0, 0
	for _, id := range ids[:250] {
		hc, _ := sb.HubSpot().Contact(id)
		switch {
		case hc.Properties[mapping.PropMarketableStatus] == "false":
			skipped++
			if !regexp.MustCompile(`(?m)^\s+` + id + `\s.*would skip \(not_marketing_contact\)`).MatchString(out) {
				t.Errorf("contact %s is no marketing contact; the dry run does not say it would be skipped", id)
			}
		case hc.Properties[mapping.PropEmailOptOut] == "true" && strings.Contains(hc.Properties["email"], "@"):
			if regexp.MustCompile(`(?m)^\s+` + id + `\s.*would blocklist`).MatchString(out) {
				blocked++
			}
		}
	}
	if blocked == 0 || skipped == 0 {
		t.Errorf("the sample should show blocklistings (%d) and non-marketing skips (%d):\n%s", blocked, skipped, out)
	}
	if after := fmBrevo(sb); !reflect.DeepEqual(before, after) {
		t.Errorf("the dry run changed Brevo: %+v -> %+v", before, after)
	}

	_, err = fmRun(fmArgs("--map", "phone=SMS", "--sync-opt-outs", "--dry-run")...)
	if err == nil || !strings.Contains(err.Error(), "--sync-opt-outs needs --map email=EMAIL") {
		t.Errorf("--sync-opt-outs without EMAIL: %v", err)
	}
}
