package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"hubspot-brevo-sync/internal/manage"
)

// completionTimeout bounds what a completion may ask HubSpot, Brevo or
// Temporal: a shell must not hang on a TAB.
const completionTimeout = 3 * time.Second

// registerCreateCompletions completes create's lists from HubSpot and
// Brevo, and --map as property=ATTRIBUTE from both schemas.
func (c *cli) registerCreateCompletions(cmd *cobra.Command) {
	complete := func(flag string, fn func(ctx context.Context, m *manage.Manager, typed string) ([]cobra.Completion, error)) {
		_ = cmd.RegisterFlagCompletionFunc(flag, func(cmd *cobra.Command, _ []string, typed string) ([]cobra.Completion, cobra.ShellCompDirective) {
			m, err := c.manager(true)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), completionTimeout)
			defer cancel()
			out, err := fn(ctx, m, typed)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			directive := cobra.ShellCompDirectiveNoFileComp
			if flag == "map" && !strings.Contains(typed, "=") {
				directive |= cobra.ShellCompDirectiveNoSpace // "firstname=" goes on with its attribute
			}
			return out, directive
		})
	}
	complete("hubspot-list", func(ctx context.Context, m *manage.Manager, _ string) ([]cobra.Completion, error) {
		lists, err := m.HubSpotLists(ctx)
		out := make([]cobra.Completion, 0, len(lists))
		for _, l := range lists {
			out = append(out, cobra.CompletionWithDesc(l.ID, fmt.Sprintf("%s (%d)", l.Name, l.Size)))
		}
		return out, err
	})
	complete("brevo-list", func(ctx context.Context, m *manage.Manager, _ string) ([]cobra.Completion, error) {
		lists, err := m.BrevoLists(ctx)
		out := make([]cobra.Completion, 0, len(lists))
		for _, l := range lists {
			out = append(out, cobra.CompletionWithDesc(fmt.Sprint(l.ID), l.Name))
		}
		return out, err
	})
	complete("map", completeMap)
}

// completeMap offers the mappable HubSpot properties ("firstname="), and
// once a property is typed, the Brevo attributes after it.
func completeMap(ctx context.Context, m *manage.Manager, typed string) ([]cobra.Completion, error) {
	property, _, hasAttribute := strings.Cut(typed, "=")
	if !hasAttribute {
		props, err := m.HubSpotProperties(ctx)
		var out []cobra.Completion
		for _, p := range props {
			if p.Mappable() {
				out = append(out, cobra.CompletionWithDesc(p.Name+"=", p.Label))
			}
		}
		return out, err
	}
	attrs, err := m.BrevoAttributes(ctx)
	var out []cobra.Completion
	for _, a := range attrs {
		out = append(out, cobra.CompletionWithDesc(property+"="+a.Name, a.Type))
	}
	return out, err
}
