// Package manage holds what the starter does for people: create an
// integration after validating it against HubSpot and Brevo, steer it,
// read its status, list integrations. It lives outside the starter's main
// package so tests drive exactly the code the CLI runs.
package manage

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/httpx"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/mapping"
)

// Manager carries the clients the operations need.
type Manager struct {
	Temporal  client.Client
	HubSpot   *hubspot.Client
	Brevo     *brevo.Client
	TaskQueue string
	// Namespace is the Temporal namespace (TEMPORAL_NAMESPACE); "" is
	// "default".
	Namespace string
	// MonthlyTaskLimit starts the quota ledger if `quota set` is its first
	// use (SYNC_MONTHLY_TASK_LIMIT).
	MonthlyTaskLimit int64
	// Tuning, when set, overrides the workflow's default batch sizes for
	// integrations this manager creates (benchmarks and tests).
	Tuning *integration.Tuning
	// Connections, when set, resolves named HubSpot connections
	// (CreateRequest.HubSpotConnection, OnConnection).
	Connections HubSpotClients
}

// CreateRequest is what a person asks for with `starter create`.
type CreateRequest struct {
	Name          string
	HubSpotListID string
	BrevoListID   int64
	NewBrevoList  string
	BrevoFolderID int64
	// Map holds "hubspot_property=BREVO_ATTRIBUTE" pairs.
	Map                []string
	OptInConfirmed     bool
	Draft              bool
	DefaultCountryCode string
	// OnLeave is "unlink" (default) or "keep"; UnlinkGuardPercent caps the
	// share of the list unlinked in one pass (0: 20, -1: off);
	// ReconcileEvery spaces the full passes (0: daily).
	OnLeave            string
	UnlinkGuardPercent int
	ReconcileEvery     time.Duration
	// CreateAttributes creates the mapped Brevo attributes that do not
	// exist, after every validation passed; without it they are refused.
	CreateAttributes bool
	// Deletions and unsubscribes (docs/consent.md): OnDelete is unlink
	// (default), delete or keep; ReportUnsubscribes writes Brevo
	// unsubscribes to HubSpot, HubSpotSubscriptionID also unsubscribes
	// the email from that subscription type.
	OnDelete              string
	ReportUnsubscribes    bool
	HubSpotSubscriptionID string
	// SyncOptOuts and OnlyMarketingContacts are the consent options
	// (mapping.Consent, docs/consent.md).
	SyncOptOuts           bool
	OnlyMarketingContacts bool
	// HubSpotConnection names the HubSpot connection to read ("": the
	// HUBSPOT_* environment).
	HubSpotConnection string
}

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// Create validates the request against both APIs and starts the
// integration's workflow. Every refusal is one line that says what to fix.
func (m *Manager) Create(ctx context.Context, req CreateRequest) (integration.Spec, error) {
	spec, err := m.Validate(ctx, req)
	if err != nil {
		return spec, err
	}
	if req.CreateAttributes {
		if err := m.checkNameFree(ctx, spec.Name); err != nil {
			return spec, err
		}
		if _, err := m.CreateMissingAttributes(ctx, spec); err != nil {
			return spec, err
		}
	}
	err = m.startIntegration(ctx, spec)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return spec, fmt.Errorf("integration %q already exists; pick another name or stop it first", spec.Name)
	}
	if err != nil {
		return spec, err
	}
	return spec, nil
}

// startOptions start the integration's workflow with the search
// attributes and the summary the Web UI shows from the first second.
func startOptions(spec integration.Spec, taskQueue string) client.StartWorkflowOptions {
	state := integration.StateSyncing
	if spec.Draft {
		state = integration.StateDraft
	}
	brevoList := fmt.Sprint(spec.BrevoListID)
	if spec.NewBrevoList != nil {
		brevoList = "new: " + spec.NewBrevoList.Name
	}
	return client.StartWorkflowOptions{
		ID:                                       integration.ID(spec.Name),
		TaskQueue:                                taskQueue,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			integration.SAIntegrationName.ValueSet(spec.Name),
			integration.SAIntegrationState.ValueSet(string(state)),
			integration.SAHubSpotListID.ValueSet(spec.HubSpotListID),
			integration.SABrevoListID.ValueSet(brevoList),
			integration.SAContactsSynced.ValueSet(0),
			integration.SAHubSpotConnection.ValueSet(spec.HubSpot().ConnectionName()),
		),
		StaticSummary: summaryLine(spec, brevoList),
		StaticDetails: mappingTable(spec),
	}
}

// Validate checks the request and builds the spec, reading HubSpot's
// properties and lists and Brevo's lists and attributes. It writes nothing.
func (m *Manager) Validate(ctx context.Context, req CreateRequest) (integration.Spec, error) {
	m, spec, err := m.onRequestedConnection(ctx, req)
	if err != nil {
		return spec, err
	}
	return m.validate(ctx, req, spec)
}

// onRequestedConnection checks the request's HubSpot connection (it exists
// and its token works) and returns the manager on it, with the spec's
// connection and ext_id prefix (the portal id) set.
func (m *Manager) onRequestedConnection(ctx context.Context, req CreateRequest) (*Manager, integration.Spec, error) {
	var spec integration.Spec
	name := req.HubSpotConnection
	if name == integration.DefaultConnection {
		name = ""
	}
	m, err := m.OnConnection(name)
	if err != nil {
		return nil, spec, fmt.Errorf("--hubspot-connection: %w", err)
	}
	if name != "" {
		spec.HubSpotConnection = name
		if spec.HubSpotPortalID, err = m.portalOf(ctx, name); err != nil {
			return nil, spec, err
		}
	}
	return m, spec, nil
}

func (m *Manager) validate(ctx context.Context, req CreateRequest, account integration.Spec) (integration.Spec, error) {
	spec := integration.Spec{
		HubSpotConnection: account.HubSpotConnection, HubSpotPortalID: account.HubSpotPortalID,
		Name: req.Name, HubSpotListID: req.HubSpotListID, BrevoListID: req.BrevoListID,
		Draft: req.Draft, OptInConfirmed: req.OptInConfirmed,
		Mapping: mapping.Spec{DefaultCountryCode: req.DefaultCountryCode,
			Consent: mapping.Consent{SyncOptOuts: req.SyncOptOuts, OnlyMarketingContacts: req.OnlyMarketingContacts}},
		OnLeave: req.OnLeave, UnlinkGuardPercent: req.UnlinkGuardPercent, ReconcileEvery: req.ReconcileEvery,
	}
	switch {
	case !validName.MatchString(req.Name):
		return spec, fmt.Errorf("--name %q: use 1-100 letters, digits, '.', '_' or '-'", req.Name)
	case !req.OptInConfirmed:
		return spec, errors.New("--opt-in-confirmed is required: confirm that the HubSpot contacts agreed to receive your marketing")
	case req.HubSpotListID == "":
		return spec, errors.New("--hubspot-list is required (see `starter hubspot lists`)")
	case (req.BrevoListID == 0) == (req.NewBrevoList == ""):
		return spec, errors.New("give exactly one of --brevo-list ID or --new-brevo-list NAME")
	case len(req.Map) == 0:
		return spec, errors.New("--map hubspot_property=BREVO_ATTRIBUTE is required, with email=EMAIL or phone=SMS at least")
	case req.OnLeave != "" && req.OnLeave != integration.OnLeaveUnlink && req.OnLeave != integration.OnLeaveKeep:
		return spec, fmt.Errorf("--on-leave %q: want unlink or keep", req.OnLeave)
	case req.UnlinkGuardPercent < -1 || req.UnlinkGuardPercent > 100:
		return spec, fmt.Errorf("--unlink-guard %d: want a percentage 1-100, or -1 to turn the guard off", req.UnlinkGuardPercent)
	case req.ReconcileEvery != 0 && req.ReconcileEvery < time.Hour:
		return spec, fmt.Errorf("--reconcile-every %s: want at least 1h (a full pass re-reads the whole list)", req.ReconcileEvery)
	}
	if err := validateConsentOptions(req, &spec); err != nil {
		return spec, err
	}
	if req.DefaultCountryCode != "" && !regexp.MustCompile(`^[1-9][0-9]{0,3}$`).MatchString(req.DefaultCountryCode) {
		return spec, fmt.Errorf("--default-country-code %q: want 1-4 digits, e.g. 49", req.DefaultCountryCode)
	}
	choices, err := parseMapChoices(req.Map)
	if err != nil {
		return spec, err
	}

	list, err := retried(ctx, func() (hubspot.List, error) { return m.HubSpot.GetList(ctx, req.HubSpotListID) })
	if err != nil {
		return spec, apiError("HubSpot list "+req.HubSpotListID, err)
	}
	if !list.IsContactList() {
		return spec, fmt.Errorf("HubSpot list %s (%s) holds objects of type %s, not contacts", list.ID, list.Name, list.ObjectTypeID)
	}
	spec.ListSizeHint = list.Size
	if req.BrevoListID != 0 {
		if _, err := retried(ctx, func() (brevo.List, error) { return m.Brevo.GetList(ctx, req.BrevoListID) }); err != nil {
			return spec, apiError(fmt.Sprintf("Brevo list %d", req.BrevoListID), err)
		}
	} else {
		spec.NewBrevoList = &integration.NewBrevoList{Name: req.NewBrevoList, FolderID: req.BrevoFolderID}
	}

	props, err := m.HubSpotProperties(ctx)
	if err != nil {
		return spec, apiError("HubSpot properties", err)
	}
	attrs, err := m.BrevoAttributes(ctx)
	if err != nil {
		return spec, apiError("Brevo attributes", err)
	}
	fields, err := buildFields(choices, props, attrs, req.CreateAttributes)
	if err != nil {
		return spec, err
	}
	spec.Mapping.Fields = fields
	if !spec.Mapping.HasIdentifier() {
		return spec, errors.New("map email or phone: Brevo needs --map email=EMAIL or --map <phone property>=SMS")
	}
	if err := checkConsent(spec.Mapping, props); err != nil {
		return spec, err
	}
	return spec, nil
}

type mapPair struct{ property, attribute string }

// BuildFields checks each mapped pair against the HubSpot schema and the
// Brevo attributes and records both types, so the workflow's mapping needs
// no lookups.
func BuildFields(pairs []mapPair, props []hubspot.Property, attrs []brevo.Attribute) ([]mapping.Field, error) {
	choices := make([]mapChoice, len(pairs))
	for i, p := range pairs {
		choices[i] = mapChoice{property: p.property, attribute: p.attribute}
	}
	return buildFields(choices, props, attrs, false)
}

// attributeType names a Brevo attribute's value type; category attributes
// report no type of their own.
func attributeType(a brevo.Attribute) string {
	if a.Category == "category" || len(a.Enumeration) > 0 {
		return "category"
	}
	if a.Type == "" {
		return "text"
	}
	return a.Type
}

// matchCategories pairs HubSpot option values with Brevo category ids by
// label or value, ignoring case.
func matchCategories(opts []hubspot.Option, enum []brevo.EnumValue) map[string]int {
	out := map[string]int{}
	for _, o := range opts {
		for _, e := range enum {
			if strings.EqualFold(e.Label, o.Label) || strings.EqualFold(e.Label, o.Value) {
				out[o.Value] = e.Value
				break
			}
		}
	}
	return out
}

// summaryLine is the Web UI's one-line summary; a named connection shows.
func summaryLine(spec integration.Spec, brevoList string) string {
	hubspotList := "HubSpot list " + spec.HubSpotListID
	if spec.HubSpotConnection != "" {
		hubspotList = fmt.Sprintf("HubSpot %s (portal %s) list %s", spec.HubSpotConnection, spec.HubSpotPortalID, spec.HubSpotListID)
	}
	return fmt.Sprintf("%s → Brevo list %s", hubspotList, brevoList)
}

func mappingTable(spec integration.Spec) string {
	var b strings.Builder
	fmt.Fprintf(&b, "HubSpot connection: %s\n\n", spec.HubSpot().ConnectionName())
	b.WriteString("| HubSpot property | Brevo attribute |\n|---|---|\n")
	fields := append([]mapping.Field(nil), spec.Mapping.Fields...)
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].Attribute < fields[j].Attribute })
	for _, f := range fields {
		fmt.Fprintf(&b, "| %s (%s) | %s |\n", f.Property, f.PropertyType, f.Attribute)
	}
	for _, line := range spec.ConsentChoices() {
		b.WriteString("\n- " + line)
	}
	return b.String()
}

// apiError turns a client error into one line about what was looked up.
func apiError(what string, err error) error {
	if e, ok := httpx.AsError(err); ok {
		switch e.Kind {
		case httpx.KindNotFound:
			return fmt.Errorf("%s does not exist", what)
		case httpx.KindAuth:
			return fmt.Errorf("%s: %s refused our credentials (%s); check the token or key", what, e.API, e.Message)
		}
	}
	return fmt.Errorf("%s: %v", what, err)
}

// validateConsentOptions checks --on-delete and the unsubscribe reporting
// options and puts them into the spec.
func validateConsentOptions(req CreateRequest, spec *integration.Spec) error {
	switch req.OnDelete {
	case "", integration.OnDeleteUnlink, integration.OnDeleteDelete, integration.OnDeleteKeep:
	default:
		return fmt.Errorf("--on-delete %q: want unlink, delete or keep", req.OnDelete)
	}
	if req.HubSpotSubscriptionID != "" {
		if !req.ReportUnsubscribes {
			return errors.New("--hubspot-subscription-id goes with --report-unsubscribes-to-hubspot")
		}
		if !regexp.MustCompile(`^[0-9]{1,20}$`).MatchString(req.HubSpotSubscriptionID) {
			return fmt.Errorf("--hubspot-subscription-id %q: want the numeric id of a HubSpot subscription type", req.HubSpotSubscriptionID)
		}
	}
	spec.OnDelete, spec.ReportUnsubscribes, spec.HubSpotSubscriptionID = req.OnDelete, req.ReportUnsubscribes, req.HubSpotSubscriptionID
	return nil
}
