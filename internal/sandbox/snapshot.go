package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SnapshotVersion numbers the snapshot format; Restore refuses others.
const SnapshotVersion = 1

// Snapshot is the data of both emulators: what a restarted demo needs to
// find again, because the sync store remembers what it wrote to Brevo. It
// leaves out what a restart may forget: rate-limit budgets, statistics,
// issued OAuth tokens (the demo's static token keeps working).
type Snapshot struct {
	Version int             `json:"version"`
	SavedAt time.Time       `json:"savedAt"`
	HubSpot HubSpotSnapshot `json:"hubspot"`
	Brevo   BrevoSnapshot   `json:"brevo"`
}

// HubSpotSnapshot is the CRM data of the HubSpot emulator.
type HubSpotSnapshot struct {
	Contacts []hsContactSnapshot `json:"contacts"`
	Lists    []hsListSnapshot    `json:"lists"`
	// Aliases maps merged-away ids to their surviving record.
	Aliases  map[int64]int64 `json:"aliases,omitempty"`
	NextID   int64           `json:"nextId"`
	NextList int64           `json:"nextList"`
}

type hsContactSnapshot struct {
	ID         int64             `json:"id"`
	Properties map[string]string `json:"properties"`
	CreatedAt  time.Time         `json:"createdAt"`
	UpdatedAt  time.Time         `json:"updatedAt"`
	Archived   bool              `json:"archived,omitempty"`
	ArchivedAt time.Time         `json:"archivedAt,omitzero"`
	MergedInto int64             `json:"mergedInto,omitempty"`
}

type hsListSnapshot struct {
	ID             int64     `json:"id"`
	Name           string    `json:"name"`
	ProcessingType string    `json:"processingType"`
	Rule           *ListRule `json:"rule,omitempty"`
	Version        int       `json:"version"`
	CreatedAt      time.Time `json:"createdAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
	// Joined is when each member joined, by record id.
	Joined map[int64]time.Time `json:"joined"`
}

// BrevoSnapshot is the account data of the Brevo emulator.
type BrevoSnapshot struct {
	Contacts   []BrevoContact         `json:"contacts"`
	Lists      []BrevoList            `json:"lists"`
	Folders    []BrevoFolder          `json:"folders"`
	Attributes []BrevoAttribute       `json:"attributes"`
	Processes  []brevoProcessSnapshot `json:"processes,omitempty"`
	Emails     []BrevoEmail           `json:"emails,omitempty"`
	NextIDs    map[string]int64       `json:"nextIds"`
}

// brevoProcessSnapshot keeps an import whole, its rows too while it runs,
// so an import sent just before a restart still completes after it.
type brevoProcessSnapshot struct {
	BrevoProcess
	Due             time.Time        `json:"due"`
	Done            bool             `json:"done"`
	Origin          string           `json:"origin"`
	Rows            []brevoImportRow `json:"rows,omitempty"`
	ListIDs         []int64          `json:"listIds,omitempty"`
	UpdateExisting  bool             `json:"updateExisting,omitempty"`
	EmptyAttributes bool             `json:"emptyAttributes,omitempty"`
	EmailBL         bool             `json:"emailBlacklist,omitempty"`
	SMSBL           bool             `json:"smsBlacklist,omitempty"`
	// Refused lists the identifiers of skipped rows per report category.
	Refused map[string][]string `json:"refused,omitempty"`
}

// Snapshot copies the data of both emulators.
func (s *Server) Snapshot() Snapshot {
	return Snapshot{Version: SnapshotVersion, SavedAt: time.Now().UTC(), HubSpot: s.hubspot.snapshot(), Brevo: s.brevo.snapshot()}
}

// Restore replaces the data of both emulators with a snapshot's.
func (s *Server) Restore(snap Snapshot) error {
	if snap.Version != SnapshotVersion {
		return fmt.Errorf("sandbox snapshot version %d, want %d", snap.Version, SnapshotVersion)
	}
	s.hubspot.restore(snap.HubSpot)
	return s.brevo.restore(snap.Brevo)
}

// SaveFile writes the snapshot as JSON to path, atomically: a crash while
// saving leaves the previous file.
func (s *Server) SaveFile(path string) error {
	raw, err := json.Marshal(s.Snapshot())
	if err != nil {
		return fmt.Errorf("sandbox snapshot: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("sandbox snapshot: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.Write(raw); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("sandbox snapshot: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("sandbox snapshot: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("sandbox snapshot: %w", err)
	}
	return nil
}

// LoadFile restores the snapshot saved at path. A missing file is
// os.ErrNotExist (errors.Is), so the caller seeds instead.
func (s *Server) LoadFile(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var snap Snapshot
	if err := json.Unmarshal(raw, &snap); err != nil {
		return fmt.Errorf("sandbox snapshot %s: %w", path, err)
	}
	if err := s.Restore(snap); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func (h *HubSpot) snapshot() HubSpotSnapshot {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := HubSpotSnapshot{Aliases: map[int64]int64{}, NextID: h.nextID, NextList: h.nextList}
	for _, c := range h.order {
		out.Contacts = append(out.Contacts, hsContactSnapshot{
			ID: c.id, Properties: hsCopyMap(c.props), CreatedAt: c.createdAt, UpdatedAt: c.updatedAt,
			Archived: c.archived, ArchivedAt: c.archivedAt, MergedInto: c.mergedInto,
		})
	}
	for from, to := range h.alias {
		out.Aliases[from] = to
	}
	for _, l := range h.lists {
		ls := hsListSnapshot{ID: l.id, Name: l.name, ProcessingType: l.processingType, Rule: l.rule,
			Version: l.version, CreatedAt: l.createdAt, UpdatedAt: l.updatedAt, Joined: map[int64]time.Time{}}
		for id, at := range l.joined {
			ls.Joined[id] = at
		}
		out.Lists = append(out.Lists, ls)
	}
	sort.Slice(out.Lists, func(i, j int) bool { return out.Lists[i].ID < out.Lists[j].ID })
	return out
}

// restore rebuilds the records, the email index and the lists; ranks and
// search timestamps follow from the ids and times.
func (h *HubSpot) restore(snap HubSpotSnapshot) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.contacts, h.order, h.byEmail = map[int64]*hsContact{}, nil, map[string]int64{}
	for _, cs := range snap.Contacts {
		c := &hsContact{id: cs.ID, props: hsCopyMap(cs.Properties), createdAt: cs.CreatedAt,
			updatedAt: cs.UpdatedAt, updatedMs: cs.UpdatedAt.UnixMilli(), archived: cs.Archived,
			archivedAt: cs.ArchivedAt, mergedInto: cs.MergedInto, rank: hsRank(cs.ID)}
		h.contacts[c.id] = c
		h.order = append(h.order, c)
		if email := strings.ToLower(strings.TrimSpace(c.props["email"])); email != "" && c.live() {
			h.byEmail[email] = c.id
		}
	}
	sort.Slice(h.order, func(i, j int) bool { return h.order[i].id < h.order[j].id })
	h.alias = map[int64]int64{}
	for from, to := range snap.Aliases {
		h.alias[from] = to
	}
	h.lists = map[int64]*hsList{}
	for _, ls := range snap.Lists {
		l := &hsList{id: ls.ID, name: ls.Name, processingType: ls.ProcessingType, rule: ls.Rule,
			version: ls.Version, createdAt: ls.CreatedAt, updatedAt: ls.UpdatedAt, joined: map[int64]time.Time{}}
		for id, at := range ls.Joined {
			l.joined[id] = at
			l.members = append(l.members, id)
		}
		slices.Sort(l.members)
		h.lists[l.id] = l
	}
	h.nextID, h.nextList = max(snap.NextID, hsFirstContactID), max(snap.NextList, 1)
}

func (b *Brevo) snapshot() BrevoSnapshot {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.settleLocked()
	out := BrevoSnapshot{
		Contacts: b.sortedContactsLocked(func(*BrevoContact) bool { return true }),
		Lists:    b.listsLocked(),
		Folders:  b.foldersLocked(),
		Emails:   append([]BrevoEmail{}, b.emails...),
		NextIDs: map[string]int64{
			"contact": b.nextID.contact, "list": b.nextID.list, "folder": b.nextID.folder,
			"process": b.nextID.process, "message": b.nextID.message,
		},
	}
	for _, a := range b.attrs {
		out.Attributes = append(out.Attributes, *a)
	}
	for _, p := range b.processes {
		out.Processes = append(out.Processes, brevoProcessSnapshot{
			BrevoProcess: p.BrevoProcess, Due: p.due, Done: p.done, Origin: p.origin,
			Rows: p.rows, ListIDs: p.listIDs, UpdateExisting: p.updateExisting, EmptyAttributes: p.emptyAttributes,
			EmailBL: p.emailBL, SMSBL: p.smsBL, Refused: p.refused,
		})
	}
	sort.Slice(out.Processes, func(i, j int) bool { return out.Processes[i].ID < out.Processes[j].ID })
	return out
}

// restore replaces the account's data and rebuilds the identifier indexes.
func (b *Brevo) restore(snap BrevoSnapshot) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.contacts, b.byEmail, b.bySMS, b.byExtID = map[int64]*BrevoContact{}, map[string]int64{}, map[string]int64{}, map[string]int64{}
	for _, c := range snap.Contacts {
		c := c.clone()
		if b.contacts[c.ID] != nil {
			return errors.New("sandbox snapshot: Brevo contact " + strconv.FormatInt(c.ID, 10) + " appears twice")
		}
		b.contacts[c.ID] = c
		b.indexLocked(c)
	}
	b.lists, b.folders = map[int64]*BrevoList{}, map[int64]*BrevoFolder{}
	for _, l := range snap.Lists {
		b.lists[l.ID] = &l
	}
	for _, f := range snap.Folders {
		b.folders[f.ID] = &f
	}
	b.attrs = nil
	for _, a := range snap.Attributes {
		b.attrs = append(b.attrs, &a)
	}
	b.processes = map[int64]*brevoProcess{}
	for _, ps := range snap.Processes {
		b.processes[ps.ID] = &brevoProcess{
			BrevoProcess: ps.BrevoProcess, due: ps.Due, done: ps.Done, origin: ps.Origin,
			rows: ps.Rows, listIDs: ps.ListIDs, updateExisting: ps.UpdateExisting, emptyAttributes: ps.EmptyAttributes,
			emailBL: ps.EmailBL, smsBL: ps.SMSBL, refused: ps.Refused,
		}
	}
	b.emails, b.emailByKey = append([]BrevoEmail{}, snap.Emails...), map[string]string{}
	for _, e := range b.emails {
		if e.IdempotencyKey != "" {
			b.emailByKey[e.IdempotencyKey] = e.MessageID
		}
	}
	n := snap.NextIDs
	b.nextID.contact, b.nextID.list, b.nextID.folder = n["contact"], n["list"], n["folder"]
	b.nextID.process, b.nextID.message = n["process"], n["message"]
	return nil
}
