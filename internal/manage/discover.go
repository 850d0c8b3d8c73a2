package manage

import (
	"context"
	"time"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/httpx"
	"hubspot-brevo-sync/internal/hubspot"
)

// interactiveRetryBudget bounds how long a person waits while a call is
// retried: a running worker may be using the whole API budget.
const interactiveRetryBudget = 30 * time.Second

// retried runs one API call, retrying rate limits and outages briefly.
func retried[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	var out T
	err := httpx.Retry(ctx, interactiveRetryBudget, func() error {
		var err error
		out, err = fn()
		return err
	})
	return out, err
}

// HubSpotLists lists the HubSpot contact lists.
func (m *Manager) HubSpotLists(ctx context.Context) ([]hubspot.List, error) {
	return retried(ctx, func() ([]hubspot.List, error) { return m.HubSpot.AllContactLists(ctx) })
}

// HubSpotProperties lists the HubSpot contact properties.
func (m *Manager) HubSpotProperties(ctx context.Context) ([]hubspot.Property, error) {
	return retried(ctx, func() ([]hubspot.Property, error) { return m.HubSpot.Properties(ctx) })
}

// BrevoLists lists the Brevo lists.
func (m *Manager) BrevoLists(ctx context.Context) ([]brevo.List, error) {
	return retried(ctx, func() ([]brevo.List, error) { return m.Brevo.AllLists(ctx) })
}

// BrevoAttributes lists the Brevo contact attributes.
func (m *Manager) BrevoAttributes(ctx context.Context) ([]brevo.Attribute, error) {
	return retried(ctx, func() ([]brevo.Attribute, error) { return m.Brevo.Attributes(ctx) })
}
