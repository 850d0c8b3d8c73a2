package main

import (
	"fmt"
	"slices"
	"sort"

	"github.com/spf13/cobra"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/manage"
)

// apiCommand is `starter API`, whose subcommands discover what one API
// offers; without one (or with another word) it says which there are.
func apiCommand(api, short string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use: api + " " + subs[0].Name() + "|" + subs[1].Name(), Short: short, Args: cobra.ArbitraryArgs,
		RunE: func(*cobra.Command, []string) error {
			return fmt.Errorf("%s: want '%s' or '%s'", api, subs[0].Name(), subs[1].Name())
		},
	}
	cmd.AddCommand(subs...)
	return cmd
}

func (c *cli) hubspotCommand() *cobra.Command {
	var listsJSON, propsJSON, mappable bool
	var connection string
	lists := &cobra.Command{
		Use: "lists", Short: "The HubSpot contact lists (ids for create --hubspot-list)", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := c.managerOn(connection)
			if err != nil {
				return err
			}
			lists, err := m.HubSpotLists(cmd.Context())
			if err != nil {
				return err
			}
			return show(c, lists, listsJSON, "ID\tNAME\tTYPE\tSIZE", func(l hubspot.List) []string {
				return []string{l.ID, l.Name, l.ProcessingType, fmt.Sprint(l.Size)}
			})
		},
	}
	lists.Flags().BoolVar(&listsJSON, "json", false, "print JSON")
	props := &cobra.Command{
		Use: "properties", Short: "The HubSpot contact properties (the left side of create --map)", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := c.managerOn(connection)
			if err != nil {
				return err
			}
			props, err := m.HubSpotProperties(cmd.Context())
			if err != nil {
				return err
			}
			if mappable {
				props = slices.DeleteFunc(props, func(p hubspot.Property) bool { return !p.Mappable() })
			}
			sort.Slice(props, func(i, j int) bool { return props[i].Name < props[j].Name })
			rows := make([]propertyRow, len(props))
			for i, p := range props {
				rows[i] = propertyRow{Property: p, Consent: manage.ConsentProperty(p.Name)}
			}
			return show(c, rows, propsJSON, "NAME\tTYPE\tFIELD TYPE\tMAPPING\tCONSENT\tLABEL", func(p propertyRow) []string {
				mode := "mappable"
				if !p.Mappable() {
					mode = "read-only"
				}
				return []string{p.Name, p.Type, p.FieldType, mode, orDash(p.Consent), p.Label}
			})
		},
	}
	props.Flags().BoolVar(&mappable, "mappable", false, "only properties that can be mapped")
	props.Flags().BoolVar(&propsJSON, "json", false, "print JSON")
	for _, sub := range []*cobra.Command{lists, props} {
		sub.Flags().StringVar(&connection, "connection", "", "HubSpot connection `NAME` (see 'starter connections list'; default: HUBSPOT_*)")
	}
	return apiCommand("hubspot", "Discover HubSpot's contact lists and properties", lists, props)
}

// propertyRow is a HubSpot property as `hubspot properties` shows it:
// with what the consent options do with it, if anything.
type propertyRow struct {
	hubspot.Property
	Consent string `json:",omitempty"`
}

func (c *cli) brevoCommand() *cobra.Command {
	var listsJSON, attrsJSON bool
	lists := &cobra.Command{
		Use: "lists", Short: "The Brevo lists (ids for create --brevo-list)", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := c.manager(true)
			if err != nil {
				return err
			}
			lists, err := m.BrevoLists(cmd.Context())
			if err != nil {
				return err
			}
			return show(c, lists, listsJSON, "ID\tNAME\tFOLDER", func(l brevo.List) []string {
				return []string{fmt.Sprint(l.ID), l.Name, fmt.Sprint(l.FolderID)}
			})
		},
	}
	lists.Flags().BoolVar(&listsJSON, "json", false, "print JSON")
	attrs := &cobra.Command{
		Use: "attributes", Short: "The Brevo contact attributes (the right side of create --map)", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := c.manager(true)
			if err != nil {
				return err
			}
			attrs, err := m.BrevoAttributes(cmd.Context())
			if err != nil {
				return err
			}
			return show(c, attrs, attrsJSON, "NAME\tCATEGORY\tTYPE", func(a brevo.Attribute) []string {
				return []string{a.Name, a.Category, a.Type}
			})
		},
	}
	attrs.Flags().BoolVar(&attrsJSON, "json", false, "print JSON")
	return apiCommand("brevo", "Discover Brevo's lists and contact attributes", lists, attrs)
}
