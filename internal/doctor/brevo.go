package doctor

import (
	"context"
	"strings"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/httpx"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/manage"
)

const brevoCredentials = "brevo.credentials"

// brevoChecks: the key, the tier, the notice sender, every integration's
// list and mapped attributes.
func (r *run) brevoChecks(ctx context.Context, integrations []integration.Status) {
	later := []string{"brevo.tier"}
	if r.o.NotifySender != "" {
		later = append(later, "brevo.sender")
	}
	for _, st := range integrations {
		later = append(later, itemName("brevo.list", st.Name), itemName("brevo.attributes", st.Name))
	}
	if !r.brevoCredentialsCheck(ctx) {
		for _, n := range later {
			r.skip(n, brevoCredentials)
		}
		return
	}
	// The attributes call is on the contacts budget, whose rate headers
	// the tier check reads.
	attrs, attrsErr := r.o.Brevo.Attributes(ctx)
	r.brevoTierCheck()
	if r.o.NotifySender != "" {
		r.senderCheck(ctx)
	}
	for _, st := range integrations {
		r.brevoListCheck(ctx, st)
		r.attributesCheck(st, attrs, attrsErr)
	}
}

func (r *run) brevoCredentialsCheck(ctx context.Context) bool {
	if r.o.Brevo == nil {
		r.fail(brevoCredentials, "%s", oneLine(r.o.BrevoErr))
		return false
	}
	a, err := r.o.Brevo.Account(ctx)
	if err != nil {
		what := "Brevo"
		if httpx.IsKind(err, httpx.KindAuth) {
			what = "Brevo refused the key (BREVO_API_KEY)"
		}
		r.fail(brevoCredentials, "%s: %s", what, oneLine(err))
		return false
	}
	r.brevoOwner = a.Email
	plans := make([]string, len(a.Plans))
	for i, p := range a.Plans {
		plans[i] = p.Type
	}
	r.pass(brevoCredentials, "account %s (%s), plan %s", a.Email, a.CompanyName, strings.Join(plans, ", "))
	return true
}

// brevoTierCheck compares the contacts limit Brevo's rate headers report
// with BREVO_TIER's: a tier set too high runs into 429s, one set too low
// syncs slower than the account allows.
func (r *run) brevoTierCheck() {
	const name = "brevo.tier"
	limit, seen := r.o.Brevo.ObservedLimit()
	if !seen {
		r.pass(name, "not revealed: no contacts call carried x-sib-ratelimit-limit")
		return
	}
	r.observe("brevoContactsLimit", limit)
	tier, known := brevo.TierOfLimit(limit)
	switch {
	case !known:
		r.pass(name, "x-sib-ratelimit-limit %d is no published tier's; BREVO_TIER=%s stays in charge", limit, r.o.BrevoTier)
	case tier != r.o.BrevoTier:
		r.observe("brevoTier", string(tier))
		r.fail(name, "x-sib-ratelimit-limit %d is the %s tier's, but BREVO_TIER=%s; set BREVO_TIER=%s", limit, tier, r.o.BrevoTier, tier)
	default:
		r.observe("brevoTier", string(tier))
		r.pass(name, "x-sib-ratelimit-limit %d: the %s tier, as BREVO_TIER", limit, tier)
	}
}

// senderCheck looks SYNC_NOTIFY_SENDER up among the account's senders:
// Brevo refuses mail from an unknown or unvalidated one, and the quota
// notices would never arrive.
func (r *run) senderCheck(ctx context.Context) {
	const name = "brevo.sender"
	senders, err := r.o.Brevo.Senders(ctx)
	if err != nil {
		r.fail(name, "%s", oneLine(err))
		return
	}
	for _, s := range senders {
		if !strings.EqualFold(s.Email, r.o.NotifySender) {
			continue
		}
		if !s.Active {
			r.fail(name, "SYNC_NOTIFY_SENDER %s is a sender Brevo has not validated yet: confirm it in Brevo (Senders, domains & dedicated IPs)", s.Email)
			return
		}
		r.pass(name, "SYNC_NOTIFY_SENDER %s is an active sender", s.Email)
		return
	}
	r.fail(name, "SYNC_NOTIFY_SENDER %s is not a sender of this account: add and validate it in Brevo (Senders, domains & dedicated IPs)", r.o.NotifySender)
}

func (r *run) brevoListCheck(ctx context.Context, st integration.Status) {
	name := itemName("brevo.list", st.Name)
	id := st.BrevoListID
	if id == 0 && st.Spec != nil {
		id = st.Spec.BrevoListID
	}
	switch {
	case id == 0 && st.Spec != nil && st.Spec.NewBrevoList != nil:
		r.pass(name, "list %q is created on the integration's first run", st.Spec.NewBrevoList.Name)
		return
	case id == 0:
		r.skip(name, "the integration's status (its workflow did not answer: is a worker running?)")
		return
	}
	l, err := r.o.Brevo.GetList(ctx, id)
	if err != nil {
		r.fail(name, "Brevo list %d: %s", id, listError(err))
		return
	}
	r.pass(name, "Brevo list %d %q in folder %d", l.ID, l.Name, l.FolderID)
}

func (r *run) attributesCheck(st integration.Status, attrs []brevo.Attribute, attrsErr error) {
	name := itemName("brevo.attributes", st.Name)
	switch {
	case st.Spec == nil:
		r.skip(name, "the integration's mapping (its workflow did not answer: is a worker running?)")
		return
	case attrsErr != nil:
		r.fail(name, "Brevo attributes: %s", oneLine(attrsErr))
		return
	}
	if problems := manage.MappedAttributeProblems(*st.Spec, attrs); len(problems) > 0 {
		r.fail(name, "%s; fix the attribute in Brevo or re-create the integration", strings.Join(problems, "; "))
		return
	}
	r.pass(name, "%d mapped fields fit the Brevo attributes", len(st.Spec.Mapping.Fields))
}
