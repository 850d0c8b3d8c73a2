package doctor

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"hubspot-brevo-sync/internal/httpx"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/integration"
)

const hubspotCredentials = "hubspot.credentials"

// hubspotChecks: the token, its scopes, the tier, every integration's list
// (through its connection's client).
func (r *run) hubspotChecks(ctx context.Context, integrations []integration.Status) {
	defaultOK := r.defaultHubSpotChecks(ctx, slices.DeleteFunc(slices.Clone(integrations), named))
	for _, st := range integrations {
		switch {
		case named(st):
			r.namedListCheck(ctx, st)
		case defaultOK:
			r.hubspotListCheck(ctx, r.o.HubSpot, st)
		default:
			r.skip(itemName("hubspot.list", st.Name), hubspotCredentials)
		}
	}
}

// named reports whether the integration reads a named connection.
func named(st integration.Status) bool {
	return st.HubSpotConnection != "" && st.HubSpotConnection != integration.DefaultConnection
}

// defaultHubSpotChecks checks the HUBSPOT_* connection: token, the scopes
// its integrations need, tier.
func (r *run) defaultHubSpotChecks(ctx context.Context, integrations []integration.Status) bool {
	if r.o.HubSpot == nil && r.o.HubSpotErr == nil {
		r.skip(hubspotCredentials, "HUBSPOT_* (only named connections are configured)")
		return false
	}
	info, ok := r.hubspotCredentialsCheck(ctx)
	if !ok {
		r.skip("hubspot.scopes", hubspotCredentials)
		r.skip("hubspot.tier", hubspotCredentials)
		return false
	}
	r.scopesCheck(info, integrations)
	r.hubspotTierCheck(ctx)
	return true
}

// namedListCheck checks the list of an integration on a named
// connection through that connection's client.
func (r *run) namedListCheck(ctx context.Context, st integration.Status) {
	name := itemName("hubspot.list", st.Name)
	if r.o.Connections == nil {
		r.fail(name, "HubSpot connection %s: no connections directory (SYNC_CONNECTIONS_DIR)", st.HubSpotConnection)
		return
	}
	c, err := r.o.Connections.Client(st.HubSpotConnection)
	if err != nil {
		r.fail(name, "%s", oneLine(err))
		return
	}
	r.hubspotListCheck(ctx, c, st)
}

func (r *run) hubspotCredentialsCheck(ctx context.Context) (hubspot.TokenInfo, bool) {
	if r.o.HubSpot == nil {
		r.fail(hubspotCredentials, "%s", oneLine(r.o.HubSpotErr))
		return hubspot.TokenInfo{}, false
	}
	info, err := r.o.HubSpot.TokenInfo(ctx)
	if err != nil {
		what := "HubSpot"
		if httpx.IsKind(err, httpx.KindAuth) {
			what = "HubSpot refused the credentials (HUBSPOT_ACCESS_TOKEN, or the HUBSPOT_CLIENT_ID/SECRET/REFRESH_TOKEN trio)"
		}
		r.fail(hubspotCredentials, "%s: %s", what, oneLine(err))
		return info, false
	}
	kind := "OAuth access token"
	if info.Kind == hubspot.TokenPrivateApp {
		kind = "static token (service key or private app)"
	}
	detail := fmt.Sprintf("%s of portal %d", kind, info.HubID)
	if info.ExpiresIn > 0 {
		detail += fmt.Sprintf(", refreshed by the client (expires in %s)", info.ExpiresIn.Round(time.Second))
	}
	r.pass(hubspotCredentials, "%s", detail)
	return info, true
}

func (r *run) scopesCheck(info hubspot.TokenInfo, integrations []integration.Status) {
	const name = "hubspot.scopes"
	required := append(slices.Clone(hubspot.RequiredScopes), optionScopes(integrations)...)
	if slices.Contains(info.Scopes, "communication_preferences.read_write") {
		// HubSpot's unsubscribe endpoint takes either.
		required = slices.DeleteFunc(required, func(s string) bool { return s == "communication_preferences.write" })
	}
	missing := info.MissingScopes(required)
	if len(missing) > 0 {
		r.fail(name, "missing %s: grant them to the service key or private app (an OAuth app: run 'starter connect hubspot' again with them)",
			strings.Join(missing, ", "))
		return
	}
	r.pass(name, "%s granted", strings.Join(required, ", "))
}

// optionScopes are the scopes the integrations' options add: reporting
// Brevo unsubscribes writes contacts and creates their two properties,
// and unsubscribing from a subscription type writes communication
// preferences.
func optionScopes(integrations []integration.Status) []string {
	var out []string
	add := func(scopes ...string) {
		for _, s := range scopes {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	for _, st := range integrations {
		if st.Spec == nil || !st.Spec.ReportUnsubscribes {
			continue
		}
		add("crm.objects.contacts.write", "crm.schemas.contacts.write")
		if st.Spec.HubSpotSubscriptionID != "" {
			add("communication_preferences.write")
		}
	}
	return out
}

// hubspotTierCheck compares the limits HubSpot's rate headers report with
// those of HUBSPOT_TIER. The token-info call carries no rate headers, so
// one cheap CRM call is made first.
func (r *run) hubspotTierCheck(ctx context.Context) {
	const name = "hubspot.tier"
	c := r.o.HubSpot
	if _, err := c.ListContactIDs(ctx, "", 1); err != nil && c.ObservedLimits().SeenAt.IsZero() {
		_, _ = c.SearchLists(ctx, "", 0, 1) // a second chance without the contacts scope
	}
	seen := c.ObservedLimits()
	r.observe("hubspotBurstMax", seen.BurstMax)
	r.observe("hubspotDaily", seen.Daily)
	ok, detail := judgeHubSpotTier(seen, r.o.HubSpotTier)
	if tiers := hubspotTiersOf(seen); len(tiers) > 0 {
		r.observe("hubspotTier", tierNames(tiers))
	}
	if ok {
		r.pass(name, "%s", detail)
	} else {
		r.fail(name, "%s", detail)
	}
}

// hubspotTiersOf names the tiers whose published limits the observed ones
// are: the daily allowance tells more than the burst, which free and
// starter (100) and professional and enterprise (190) share.
func hubspotTiersOf(seen hubspot.ObservedLimits) []hubspot.Tier {
	var out []hubspot.Tier
	for _, t := range []hubspot.Tier{hubspot.TierFree, hubspot.TierStarter, hubspot.TierProfessional, hubspot.TierEnterprise} {
		l := t.Limits()
		if seen.Daily > 0 && seen.Daily == l.Daily || seen.Daily == 0 && seen.BurstMax > 0 && seen.BurstMax == l.Burst {
			out = append(out, t)
		}
	}
	return out
}

func judgeHubSpotTier(seen hubspot.ObservedLimits, configured hubspot.Tier) (ok bool, detail string) {
	figures := fmt.Sprintf("%d per %s", seen.BurstMax, seen.BurstInterval)
	if seen.Daily > 0 {
		figures += fmt.Sprintf(" and %d a day", seen.Daily)
	}
	tiers := hubspotTiersOf(seen)
	switch {
	case seen.SeenAt.IsZero():
		return true, "not revealed: no HubSpot response carried rate headers; the sync adopts them once one does"
	case seen.Daily == 0 && seen.BurstMax == hubspot.OAuthBurstLimit:
		return true, fmt.Sprintf("rate headers show %s: an OAuth app, 110 per 10 s on every tier and no daily cap", figures)
	case len(tiers) == 0:
		return true, fmt.Sprintf("rate headers show %s, no published tier's (an API limit increase?); the sync follows the headers", figures)
	case slices.Contains(tiers, configured):
		return true, fmt.Sprintf("rate headers show %s: %s, as HUBSPOT_TIER=%s", figures, tierNames(tiers), configured)
	}
	return false, fmt.Sprintf("rate headers show %s: %s, but HUBSPOT_TIER=%s; set HUBSPOT_TIER=%s",
		figures, tierNames(tiers), configured, tiers[0])
}

func tierNames[T ~string](tiers []T) string {
	names := make([]string, len(tiers))
	for i, t := range tiers {
		names[i] = string(t)
	}
	return strings.Join(names, " or ")
}

// hubspotListCheck reads the integration's list and one page of its
// memberships, as the sync does.
func (r *run) hubspotListCheck(ctx context.Context, hs *hubspot.Client, st integration.Status) {
	name := itemName("hubspot.list", st.Name)
	l, err := hs.GetList(ctx, st.HubSpotListID)
	if err != nil {
		r.fail(name, "HubSpot list %s: %s", st.HubSpotListID, listError(err))
		return
	}
	if !l.IsContactList() {
		r.fail(name, "HubSpot list %s %q holds objects of type %s, not contacts", l.ID, l.Name, l.ObjectTypeID)
		return
	}
	if _, err := hs.ListMemberships(ctx, l.ID, "", 1); err != nil {
		r.fail(name, "HubSpot list %s %q: memberships unreadable: %s", l.ID, l.Name, oneLine(err))
		return
	}
	detail := fmt.Sprintf("HubSpot list %s %q: %d members, %s, %s", l.ID, l.Name, l.Size, l.ProcessingType, l.ProcessingStatus)
	if !l.MembershipsComplete() {
		detail += " (HubSpot is recomputing it: leavers wait for a pass that finds it complete)"
	}
	r.pass(name, "%s", detail)
}

func listError(err error) string {
	if httpx.IsKind(err, httpx.KindNotFound) {
		return "does not exist (deleted? the integration needs a new one)"
	}
	return oneLine(err)
}
