package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/manage"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/sandbox"
)

// fmMap maps a property of every type; the attributes it names beyond the
// sandbox's defaults (and LEAD_STATUS, which the test creates without the
// hidden LEGACY option) are created by --create-attributes.
var fmMap = []string{
	"email=EMAIL", "firstname=FIRSTNAME", "lastname=LASTNAME", "phone=SMS",
	"company=COMPANY:text", "city=CITY", "lifecyclestage=STAGE", "hs_lead_status=LEAD_STATUS",
	"interests=INTERESTS", "newsletter_opt_in=NEWSLETTER", "date_of_birth=DOB", "annual_revenue=REVENUE",
	"hs_email_optout=OPTED_OUT",
}

// fmOutcome is an outcome without its text (Brevo's wording is not ours).
type fmOutcome struct{ id, kind, reason string }

func (o fmOutcome) String() string { return o.id + "/" + o.kind + "/" + o.reason }

// fmExpectation is what the first pass over the seeded list must produce,
// computed from HubSpot's data with mapping.Map and Brevo's documented
// rules for SMS numbers (country code required, unique per contact).
type fmExpectation struct {
	created, failed, skipped int64
	skippedBy                map[string]int64
	outcomes                 []fmOutcome                // in list order, page by page
	lastPage                 []fmOutcome                // those of the last page
	contacts                 map[string]mapping.Contact // written, as Brevo should hold them (SMS refused: removed)
}

func fmExpect(t *testing.T, sb *sandbox.Server, spec integration.Spec, listID string) fmExpectation {
	t.Helper()
	ids, err := sb.HubSpot().ListMembers(listID)
	if err != nil {
		t.Fatal(err)
	}
	e := fmExpectation{skippedBy: map[string]int64{}, contacts: map[string]mapping.Contact{}}
	held := map[string]bool{} // SMS numbers (digits) Brevo already holds
	for start := 0; start < len(ids); start += 250 {
		var skipped, written []fmOutcome
		for _, id := range ids[start:min(start+250, len(ids))] {
			hc, _ := sb.HubSpot().Contact(id)
			c, skip := mapping.Map(spec.Mapping, mapping.Record{ID: id, Properties: hc.Properties})
			if skip != nil {
				e.skipped++
				e.skippedBy[skip.Reason]++
				skipped = append(skipped, fmOutcome{id, mapping.OutcomeSkipped, skip.Reason})
				continue
			}
			var brevoNote string
			if sms := c.SMS(); sms != "" {
				d := strings.TrimPrefix(sms, "+")
				switch {
				case !strings.HasPrefix(sms, "+") && strings.HasPrefix(d, "0"):
					brevoNote = mapping.ReasonInvalidPhone // a national number: no country code
				case held[d]:
					brevoNote = mapping.ReasonDuplicateSMS
				default:
					held[d] = true
				}
			}
			if brevoNote != "" && c.Email == "" {
				e.failed++ // nothing left to identify the contact by
				written = append(written, fmOutcome{id, mapping.OutcomeFailed, mapping.ReasonRejected})
				continue
			}
			e.created++
			for _, n := range c.Notes {
				written = append(written, fmOutcome{id, mapping.OutcomeCreated, n.Reason})
			}
			if brevoNote != "" {
				written = append(written, fmOutcome{id, mapping.OutcomeCreated, brevoNote})
				delete(c.Attributes, mapping.AttrSMS)
			}
			e.contacts[id] = c
		}
		e.lastPage = append(append([]fmOutcome(nil), skipped...), written...)
		e.outcomes = append(e.outcomes, e.lastPage...)
	}
	return e
}

func fmJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestSeedOutcomesAndAttributes creates an integration over the seeded
// 1,000 awkward contacts with --create-attributes and checks, against an
// expectation computed independently from HubSpot's data: the attributes
// created, the status counters of every outcome kind (created, skipped by
// reason, failed; then unchanged and updated on later passes), the
// recent problems, the report, and Brevo's contacts value by value.
func TestSeedOutcomesAndAttributes(t *testing.T) {
	s := newStack(t, fastLimits())
	seed := s.sb.HubSpot().Seed(sandbox.SeedOptions{Contacts: 1000, Seed: 21})
	ctx := context.Background()
	// An existing category attribute without the hidden LEGACY option:
	// records that still hold it are written without it, with a note.
	var visible []sandbox.BrevoEnumValue
	for i, l := range []string{"New", "Open", "In Progress", "Open Deal", "Unqualified", "Attempted to Contact", "Connected", "Bad Timing"} {
		visible = append(visible, sandbox.BrevoEnumValue{Value: 100 + i, Label: l})
	}
	if err := s.sb.Brevo().CreateAttribute(sandbox.BrevoAttribute{Name: "LEAD_STATUS", Category: "category", Enumeration: visible}); err != nil {
		t.Fatal(err)
	}

	spec, err := s.mgr.Create(ctx, manage.CreateRequest{
		Name: "seed", HubSpotListID: seed.ListID, BrevoListID: 1, Map: fmMap, OptInConfirmed: true, CreateAttributes: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	attrs := map[string]sandbox.BrevoAttribute{}
	for _, a := range s.sb.Brevo().State().Attributes {
		attrs[a.Name] = a
	}
	for name, want := range map[string]string{
		"COMPANY": "normal/text", "CITY": "normal/text", "STAGE": "category/text", "INTERESTS": "normal/multiple-choice",
		"NEWSLETTER": "normal/boolean", "DOB": "normal/date", "REVENUE": "normal/float", "OPTED_OUT": "normal/boolean",
	} {
		if got := attrs[name].Category + "/" + attrs[name].Type; got != want {
			t.Errorf("attribute %s: %s, want %s", name, got, want)
		}
	}
	if n := len(attrs["STAGE"].Enumeration); n != 8 {
		t.Errorf("STAGE has %d categories, want lifecyclestage's 8 options", n)
	}
	if got := spec.Mapping.Fields[7].Categories; got["LEGACY"] != 0 || got["OPEN"] != 101 {
		t.Errorf("LEAD_STATUS categories %v: want the existing ids, no LEGACY", got)
	}

	exp := fmExpect(t, s.sb, spec, seed.ListID)
	st := s.waitFor(t, "seed", 3*time.Minute, func(st integration.Status) bool { return st.State == integration.StateIdle })

	// The seed is awkward enough to produce every kind of the first pass.
	reasons := map[string]bool{}
	for _, o := range exp.outcomes {
		reasons[o.reason] = true
	}
	for _, r := range []string{mapping.ReasonNoIdentifier, mapping.ReasonInvalidEmail, mapping.ReasonInvalidPhone, mapping.ReasonUnknownOption, mapping.ReasonRejected} {
		if !reasons[r] {
			t.Errorf("the seeded data should produce %s outcomes (expectation %v)", r, reasons)
		}
	}
	if exp.created == 0 || exp.skipped == 0 || exp.failed == 0 || exp.created+exp.skipped+exp.failed != int64(seed.ListSize) {
		t.Fatalf("expectation: created %d + skipped %d + failed %d != %d", exp.created, exp.skipped, exp.failed, seed.ListSize)
	}
	t.Logf("expected: created %d, skipped %d %v, failed %d, %d outcomes", exp.created, exp.skipped, exp.skippedBy, exp.failed, len(exp.outcomes))

	if st.ContactsCreated != exp.created || st.ContactsUpdated != 0 || st.ContactsSkipped != exp.skipped ||
		st.ContactsFailed != exp.failed || st.Unchanged != 0 || st.TasksThisMonth != exp.created {
		t.Errorf("status created %d updated %d skipped %d failed %d unchanged %d tasks %d; want created %d skipped %d failed %d",
			st.ContactsCreated, st.ContactsUpdated, st.ContactsSkipped, st.ContactsFailed, st.Unchanged, st.TasksThisMonth,
			exp.created, exp.skipped, exp.failed)
	}
	if !reflect.DeepEqual(st.SkippedByReason, exp.skippedBy) {
		t.Errorf("skipped by reason %v, want %v", st.SkippedByReason, exp.skippedBy)
	}
	// The recent problems are a sample of the expected outcomes, ids and
	// reasons only: no contact data reaches workflow history. Every
	// expected outcome is in the store with Brevo's or the mapping's words.
	if len(st.RecentProblems) == 0 || len(st.RecentProblems) > integration.MaxRecentProblems {
		t.Errorf("%d recent problems, want 1..%d", len(st.RecentProblems), integration.MaxRecentProblems)
	}
	unseen := map[fmOutcome]int{}
	for _, o := range exp.outcomes {
		unseen[o]++
	}
	got := map[fmOutcome]int{}
	for _, o := range st.RecentProblems {
		k := fmOutcome{o.HubSpotID, o.Kind, o.Reason}
		got[k]++
		if unseen[k]--; unseen[k] < 0 {
			t.Errorf("unexpected outcome %v (%s)", k, o.Text)
		}
		if o.Email != "" || (o.Text != "" && o.HubSpotID != "") {
			t.Errorf("recent problem %+v carries contact data into history", o)
		}
	}
	for _, o := range exp.outcomes {
		found, err := s.store.FindOutcome(ctx, "seed", o.id)
		if err != nil {
			t.Fatal(err)
		}
		if len(found) == 0 || found[0].Reason == "" || found[0].Detail == "" {
			t.Errorf("outcome %v is not in the store with a reason and why: %+v", o, found)
		}
	}

	// The report counts the same records.
	rep, err := s.mgr.Report(ctx, "seed")
	if err != nil {
		t.Fatal(err)
	}
	byKind, byReason := map[string]int{}, map[string]int{}
	for o, n := range got {
		byKind[o.kind] += n
		byReason[o.reason] += n
	}
	newest := st.RecentProblems[len(st.RecentProblems)-1]
	if !reflect.DeepEqual(rep.ByKind, byKind) || !reflect.DeepEqual(rep.ByReason, byReason) || len(rep.Problems) != len(st.RecentProblems) || rep.Problems[0] != newest {
		t.Errorf("report by kind %v by reason %v (%d problems, newest %v), want %v %v newest %v",
			rep.ByKind, rep.ByReason, len(rep.Problems), rep.Problems[0], byKind, byReason, newest)
	}
	if rep.ContactsSkipped != exp.skipped || rep.ContactsFailed != exp.failed || !reflect.DeepEqual(rep.SkippedByReason, exp.skippedBy) {
		t.Errorf("report totals %+v", rep)
	}

	// Brevo holds exactly the written contacts, value by value.
	brevoContacts := s.sb.Brevo().Contacts()
	if int64(len(brevoContacts)) != exp.created || int64(len(s.sb.Brevo().ListMembers(1))) != exp.created {
		t.Fatalf("Brevo holds %d contacts, %d in list 1; want %d", len(brevoContacts), len(s.sb.Brevo().ListMembers(1)), exp.created)
	}
	for _, got := range brevoContacts {
		want, ok := exp.contacts[got.ExtID]
		if !ok {
			t.Errorf("Brevo contact %s (%s) should not exist", got.ExtID, got.Email)
			continue
		}
		if got.Email != want.Email || strings.TrimPrefix(want.SMS(), "+") != got.SMS {
			t.Errorf("contact %s: email %q sms %q, want %q %q", got.ExtID, got.Email, got.SMS, want.Email, want.SMS())
		}
		wantAttrs := map[string]string{}
		for k, v := range want.Attributes {
			if k != mapping.AttrSMS {
				wantAttrs[k] = fmJSON(v)
			}
		}
		gotAttrs := map[string]string{}
		for k, v := range got.Attributes {
			gotAttrs[k] = fmJSON(v)
		}
		if !reflect.DeepEqual(gotAttrs, wantAttrs) {
			t.Errorf("contact %s attributes\n got %v\nwant %v", got.ExtID, gotAttrs, wantAttrs)
		}
	}

	// Pass 2 (incremental): nothing changed in HubSpot, so the membership
	// scan finds no joiner, the search no change, and nothing is written.
	writes := s.sb.Brevo().Stats().ContactWrites
	if err := s.mgr.Signal(ctx, "seed", integration.SignalSyncNow); err != nil {
		t.Fatal(err)
	}
	st = s.waitFor(t, "seed", time.Minute, func(st integration.Status) bool { return st.State == integration.StateIdle && st.Cursor.Pass == 3 })
	if st.Unchanged != 0 || s.sb.Brevo().Stats().ContactWrites != writes || st.ContactsCreated != exp.created {
		t.Errorf("pass 2: unchanged %d (want 0), Brevo writes %d -> %d", st.Unchanged, writes, s.sb.Brevo().Stats().ContactWrites)
	}

	// Pass 3: three contacts change in HubSpot and are updated in Brevo.
	var edited []string
	for _, id := range seed.ContactIDs {
		if c, ok := exp.contacts[id]; ok && c.Email != "" && len(edited) < 3 {
			edited = append(edited, id)
			if err := s.sb.HubSpot().UpdateContact(id, map[string]string{"firstname": fmt.Sprintf("Zoë №%d ✓", len(edited))}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.mgr.Signal(ctx, "seed", integration.SignalSyncNow); err != nil {
		t.Fatal(err)
	}
	st = s.waitFor(t, "seed", time.Minute, func(st integration.Status) bool { return st.State == integration.StateIdle && st.Cursor.Pass == 4 })
	// Pass 3 (incremental): the search finds the three, and only they are
	// written.
	if st.ContactsUpdated != 3 || st.Unchanged != 0 || st.ContactsCreated != exp.created || st.ContactsFailed != exp.failed ||
		s.sb.Brevo().Stats().ContactWrites != writes+3 {
		t.Errorf("pass 3: updated %d unchanged %d created %d failed %d, Brevo writes +%d; want 3, 0, %d, %d, +3",
			st.ContactsUpdated, st.Unchanged, st.ContactsCreated, st.ContactsFailed, s.sb.Brevo().Stats().ContactWrites-writes, exp.created, exp.failed)
	}
	for i, id := range edited {
		c, _ := s.sb.Brevo().ContactByExtID(id)
		if want := fmt.Sprintf("Zoë №%d ✓", i+1); c.Attributes["FIRSTNAME"] != want {
			t.Errorf("contact %s FIRSTNAME %v, want %q", id, c.Attributes["FIRSTNAME"], want)
		}
	}
	kinds := map[string]bool{}
	for _, o := range st.RecentProblems {
		kinds[o.Kind] = true
	}
	t.Logf("final: created %d updated %d unchanged %d skipped %d failed %d; recent kinds %v",
		st.ContactsCreated, st.ContactsUpdated, st.Unchanged, st.ContactsSkipped, st.ContactsFailed, kinds)
}

// TestPreviewOfADraft saves a draft with --create-attributes (the
// attributes are created, nothing is synced), previews it through the
// status query's spec, and checks the preview against an independent
// mapping of the first list members. A second create under the same name
// is refused before it creates anything.
func TestPreviewOfADraft(t *testing.T) {
	s := newStack(t, fastLimits())
	seed := s.sb.HubSpot().Seed(sandbox.SeedOptions{Contacts: 120, Seed: 8})
	ctx := context.Background()
	req := manage.CreateRequest{
		Name: "draft", HubSpotListID: seed.ListID, NewBrevoList: "Draft list", OptInConfirmed: true, Draft: true,
		Map: []string{"email=EMAIL", "phone=SMS", "firstname=FIRSTNAME", "lifecyclestage=STAGE:text", "interests=INTERESTS"}, CreateAttributes: true,
		DefaultCountryCode: "44",
	}
	spec, err := s.mgr.Create(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	st := s.waitFor(t, "draft", 30*time.Second, func(st integration.Status) bool { return st.State == integration.StateDraft })
	if st.Spec == nil || !reflect.DeepEqual(st.Spec.Mapping, spec.Mapping) {
		t.Fatalf("the status should report the draft's spec: %+v", st.Spec)
	}
	names := map[string]string{}
	for _, a := range s.sb.Brevo().State().Attributes {
		names[a.Name] = a.Type
	}
	if names["STAGE"] != "text" || names["INTERESTS"] != "multiple-choice" {
		t.Fatalf("a draft with --create-attributes creates its attributes: %v", names)
	}
	attrCount := len(names)

	p, err := s.mgr.PreviewIntegration(ctx, "draft", 40)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "draft" || p.Read != 40 || p.ListSize != 120 || len(p.MissingAttributes) != 0 {
		t.Fatalf("preview %s read %d of %d, missing %v", p.Name, p.Read, p.ListSize, p.MissingAttributes)
	}
	ids, _ := s.sb.HubSpot().ListMembers(seed.ListID)
	var want []mapping.Contact
	wantSkipped := map[string]string{}
	for _, id := range ids[:40] {
		hc, _ := s.sb.HubSpot().Contact(id)
		c, skip := mapping.Map(spec.Mapping, mapping.Record{ID: id, Properties: hc.Properties})
		if skip != nil {
			wantSkipped[id] = skip.Reason
			continue
		}
		want = append(want, c)
	}
	if !reflect.DeepEqual(p.Contacts, want) {
		t.Errorf("preview contacts differ from the independent mapping:\n got %+v\nwant %+v", p.Contacts, want)
	}
	gotSkipped := map[string]string{}
	for _, sk := range p.Skipped {
		gotSkipped[sk.HubSpotID] = sk.Reason
	}
	if !reflect.DeepEqual(gotSkipped, wantSkipped) {
		t.Errorf("preview skipped %v, want %v", gotSkipped, wantSkipped)
	}
	if st := s.sb.Brevo().Stats(); st.ContactWrites != 0 || len(s.sb.Brevo().Contacts()) != 0 || len(s.sb.Brevo().Lists()) != 1 {
		t.Fatalf("a draft and its preview wrote to Brevo: %d writes, %d lists", st.ContactWrites, len(s.sb.Brevo().Lists()))
	}

	// The name is taken: refused before any attribute is created.
	again := req
	again.Map = append(append([]string(nil), req.Map...), "company=COMPANY")
	if _, err := s.mgr.Create(ctx, again); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second create under the same name: %v", err)
	}
	var after []string
	for _, a := range s.sb.Brevo().State().Attributes {
		after = append(after, a.Name)
	}
	sort.Strings(after)
	if len(after) != attrCount {
		t.Fatalf("a refused create created attributes: %v", after)
	}

	if _, err := s.mgr.PreviewIntegration(ctx, "nope", 0); err == nil || !strings.Contains(err.Error(), "no running integration") {
		t.Fatalf("preview of an unknown integration: %v", err)
	}
	rep, err := s.mgr.Report(ctx, "draft")
	if err != nil || len(rep.Problems) != 0 || rep.State != integration.StateDraft {
		t.Fatalf("report of a fresh draft: %+v %v", rep, err)
	}
}
