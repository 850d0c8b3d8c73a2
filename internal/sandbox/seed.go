package sandbox

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// hsSchemaTime is when the emulated portal's properties were "created".
var hsSchemaTime = time.Date(2019, 3, 1, 9, 0, 0, 0, time.UTC)

// SeedOptions describe the data Seed generates.
type SeedOptions struct {
	// Contacts to generate; 0 means 1,000.
	Contacts int `json:"contacts"`
	// Seed makes the data reproducible: the same options give the same
	// contacts (timestamps are relative to the emulator's clock).
	Seed uint64 `json:"seed"`
	// ListID and ListName name the MANUAL list holding every seeded
	// contact; defaults "1" and "All sandbox contacts".
	ListID   string `json:"listId"`
	ListName string `json:"listName"`
	// SmallListID and SmallListName name a DYNAMIC list of the contacts
	// with newsletter_opt_in = true (about 40%); defaults "2" and
	// "Newsletter subscribers".
	SmallListID   string `json:"smallListId"`
	SmallListName string `json:"smallListName"`
}

// SeedResult says what Seed created.
type SeedResult struct {
	Contacts       int    `json:"contacts"`
	FirstContactID string `json:"firstContactId"`
	LastContactID  string `json:"lastContactId"`
	ListID         string `json:"listId"`
	ListName       string `json:"listName"`
	ListSize       int    `json:"listSize"`
	SmallListID    string `json:"smallListId"`
	SmallListName  string `json:"smallListName"`
	SmallListSize  int    `json:"smallListSize"`
	// ContactIDs are the seeded ids, ascending.
	ContactIDs []string `json:"-"`
}

// Seed replaces all contacts and lists with generated ones. The data is
// realistic where it is boring and awkward where syncs break: phones in
// every format (and 4- and 20-digit ones), contacts with a phone and no
// email, invalid and upper-case emails, names in many scripts and with
// emoji, booleans, dropdown and multi-checkbox values, dates, empty values.
// Roughly: every 97th contact has no email, every 89th an invalid one,
// every 53rd an upper-case one.
func (h *HubSpot) Seed(o SeedOptions) SeedResult {
	if o.Contacts <= 0 {
		o.Contacts = 1000
	}
	listID, ok := hsParseID(o.ListID)
	if !ok {
		listID = 1
	}
	if o.ListName == "" {
		o.ListName = "All sandbox contacts"
	}
	smallID, ok := hsParseID(o.SmallListID)
	if !ok || smallID == listID {
		smallID = 2
		if smallID == listID {
			smallID = listID + 1
		}
	}
	if o.SmallListName == "" {
		o.SmallListName = "Newsletter subscribers"
	}
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed^0x5eed_1234_abcd_0042))
	now := h.now().UTC().Truncate(time.Millisecond)
	span := 730 * 24 * time.Hour
	step := span / time.Duration(o.Contacts+1)

	h.mu.Lock()
	defer h.mu.Unlock()
	h.contacts = make(map[int64]*hsContact, o.Contacts)
	h.order = make([]*hsContact, 0, o.Contacts)
	h.alias = map[int64]int64{}
	h.byEmail = make(map[string]int64, o.Contacts)
	h.lists = map[int64]*hsList{}
	h.nextID = hsFirstContactID
	h.nextList = 1

	big := h.addListLocked(listID, o.ListName, "MANUAL", nil, now.Add(-span))
	small := h.addListLocked(smallID, o.SmallListName, "DYNAMIC", &ListRule{Property: "newsletter_opt_in", Value: "true"}, now.Add(-span))
	big.members = make([]int64, 0, o.Contacts)

	res := SeedResult{ContactIDs: make([]string, 0, o.Contacts)}
	for i := 0; i < o.Contacts; i++ {
		created := now.Add(-span + time.Duration(i+1)*step + time.Duration(rng.Int64N(int64(step)))).Truncate(time.Millisecond)
		c := h.newContactLocked(created)
		// Modified somewhere between creation and a minute ago, so a search
		// lag of a few seconds hides nothing seeded.
		if room := now.Add(-time.Minute).Sub(created); room > 0 {
			c.touch(created.Add(time.Duration(rng.Int64N(int64(room)))))
		}
		hsSeedProps(c, i, rng)
		if email := strings.ToLower(c.props["email"]); email != "" {
			h.byEmail[email] = c.id
			if at := strings.LastIndexByte(email, '@'); at > 0 && at < len(email)-1 {
				c.props["hs_email_domain"] = email[at+1:]
			}
		}
		big.add(c.id, created.Add(time.Duration(rng.Int64N(int64(time.Hour)))))
		if small.rule.matches(c) {
			small.add(c.id, c.updatedAt)
		}
		res.ContactIDs = append(res.ContactIDs, strconv.FormatInt(c.id, 10))
	}
	res.Contacts = o.Contacts
	res.FirstContactID = res.ContactIDs[0]
	res.LastContactID = res.ContactIDs[len(res.ContactIDs)-1]
	res.ListID, res.ListName, res.ListSize = strconv.FormatInt(big.id, 10), big.name, len(big.members)
	res.SmallListID, res.SmallListName, res.SmallListSize = strconv.FormatInt(small.id, 10), small.name, len(small.members)
	return res
}

var (
	hsFirstNames = []string{
		"Anna", "Jürgen", "Zoë", "Renée", "José", "Łukasz", "Søren", "François", "Maria", "Mohammed",
		"Sakura", "太郎", "Ольга", "Chloé", "Jean-Luc", "Ægir", "Đorđe", "Liên", "Siobhán", "Bob",
		"Anne Marie", "😀 Smiley", "Ça", "Ingrid", "Kwame", "Priya", "Noël", "Ömer", "Zuzana", "Lars",
	}
	hsLastNames = []string{
		"Müller", "Straße", "Weiß", "García", "O'Brien", "Nguyễn", "山田", "Smith", "Dvořák", "Ångström",
		"van der Berg", "Björk", "Çelik", "Kowalski", "Schmidt", "Doe", "Smith-Jones", "Ó Súilleabháin",
		"Иванова", "Mensah", "Patel", "Okafor", "Fernández", "de la Cruz", "Łęcki",
	}
	hsDomains   = []string{"example.com", "example.org", "mail.example.de", "example.co.uk", "example.fr", "sub.example.io"}
	hsCompanies = []string{
		"Acme GmbH", "Müller & Söhne KG", "日本株式会社", "Café Zoë", "Smith, Jones & Co.", `"Quotes" Inc.`,
		"Initech", "Globex Corporation", "Umbrella plc", "Stark Industries", "Hooli", "Ünïcödé AG",
	}
	hsJobTitles = []string{"CEO", "Head of Marketing", "Entwickler:in", "Sales Manager", "CTO", "Office Manager", "Intern", "Directeur général"}
	hsPlaces    = [][2]string{
		{"Berlin", "Germany"}, {"München", "Germany"}, {"Zürich", "Switzerland"}, {"東京", "Japan"},
		{"São Paulo", "Brazil"}, {"New York", "United States"}, {"London", "United Kingdom"}, {"Paris", "France"},
		{"Kraków", "Poland"}, {"Reykjavík", "Iceland"},
	}
	hsStages      = []string{"subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer", "evangelist", "other"}
	hsLeadStatus  = []string{"NEW", "OPEN", "IN_PROGRESS", "OPEN_DEAL", "UNQUALIFIED", "ATTEMPTED_TO_CONTACT", "CONNECTED", "BAD_TIMING"}
	hsInterestSet = []string{"sports", "music", "travel", "technology", "cooking"}
)

func hsPick[T any](rng *rand.Rand, vs []T) T { return vs[rng.IntN(len(vs))] }

// hsSlug keeps the ASCII letters of a name for an email local part.
func hsSlug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// hsPhone draws a phone number in one of the formats people type.
func hsPhone(rng *rand.Rand) string {
	switch rng.IntN(10) {
	case 0:
		return fmt.Sprintf("+49 (151) %03d-%04d", rng.IntN(1000), rng.IntN(10000))
	case 1:
		return fmt.Sprintf("0151 %07d", rng.IntN(10_000_000))
	case 2:
		return fmt.Sprintf("+1 415-555-%04d", rng.IntN(10000))
	case 3:
		return fmt.Sprintf("+33 6 %02d %02d %02d %02d", rng.IntN(100), rng.IntN(100), rng.IntN(100), rng.IntN(100))
	case 4:
		return fmt.Sprintf("+44 20 7946 %04d", rng.IntN(10000))
	case 5:
		return fmt.Sprintf("%04d", rng.IntN(10000)) // an extension, not a phone number
	case 6:
		return fmt.Sprintf("%010d%010d", rng.Int64N(10_000_000_000), rng.Int64N(10_000_000_000)) // 20 digits
	case 7:
		return fmt.Sprintf("+49-30-%07d ext. %d", rng.IntN(10_000_000), rng.IntN(100))
	case 8:
		return fmt.Sprintf("+4915%09d", rng.IntN(1_000_000_000))
	default:
		return fmt.Sprintf("(0%d) %d %d", 30+rng.IntN(60), 100+rng.IntN(900), 1000+rng.IntN(9000))
	}
}

// hsInvalidEmail returns a unique, invalid (or at least unusual) address.
func hsInvalidEmail(i int, id int64) string {
	switch (i / 89) % 7 {
	case 0:
		return fmt.Sprintf("not-an-email-%d", id)
	case 1:
		return fmt.Sprintf("john.doe.%d@", id)
	case 2:
		return fmt.Sprintf("john doe %d@example.com", id)
	case 3:
		return fmt.Sprintf("anna..%d@example.com", id)
	case 4:
		return fmt.Sprintf("anna.%d@@example.com", id)
	case 5:
		return fmt.Sprintf("anna.%d@example", id)
	default:
		return fmt.Sprintf("jürgen.%d@exämple.de", id)
	}
}

// hsSeedProps fills in one generated contact; i is its position.
func hsSeedProps(c *hsContact, i int, rng *rand.Rand) {
	set := func(k, v string) {
		if v != "" {
			c.props[k] = v
		}
	}
	first, last := hsPick(rng, hsFirstNames), hsPick(rng, hsLastNames)
	if i%101 == 13 {
		first, last = "", "" // nameless
	}
	set("firstname", first)
	set("lastname", last)

	phoneOnly := i%97 == 5
	switch {
	case phoneOnly:
	case i%89 == 7:
		set("email", hsInvalidEmail(i, c.id))
	default:
		local := strings.Trim(hsSlug(first)+"."+hsSlug(last), ".")
		if local == "" {
			local = "contact"
		}
		email := fmt.Sprintf("%s.%d@%s", local, c.id, hsPick(rng, hsDomains))
		if i%53 == 3 {
			email = strings.ToUpper(email[:1]) + email[1:strings.IndexByte(email, '@')] + strings.ToUpper(email[strings.IndexByte(email, '@'):])
		}
		set("email", email)
	}
	if phoneOnly || rng.IntN(10) < 7 {
		set("phone", hsPhone(rng))
	}
	if rng.IntN(2) == 0 {
		set("mobilephone", hsPhone(rng))
	}
	if rng.IntN(5) > 0 {
		set("company", hsPick(rng, hsCompanies))
	}
	if rng.IntN(3) > 0 {
		set("jobtitle", hsPick(rng, hsJobTitles))
	}
	if rng.IntN(4) > 0 {
		place := hsPick(rng, hsPlaces)
		set("city", place[0])
		set("country", place[1])
	}
	if rng.IntN(10) > 0 {
		set("lifecyclestage", hsPick(rng, hsStages))
	}
	switch n := rng.IntN(20); {
	case n == 0:
		set("hs_lead_status", "LEGACY") // a hidden option still held by old records
	case n < 14:
		set("hs_lead_status", hsPick(rng, hsLeadStatus))
	}
	var interests []string
	for _, v := range hsInterestSet {
		if rng.IntN(3) == 0 {
			interests = append(interests, v)
		}
	}
	set("interests", strings.Join(interests, ";"))
	switch rng.IntN(5) {
	case 0, 1:
		set("newsletter_opt_in", "true")
	case 2, 3:
		set("newsletter_opt_in", "false")
	}
	if rng.IntN(3) > 0 {
		dob := time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(55*365))
		set("date_of_birth", dob.Format(time.DateOnly))
	}
	switch rng.IntN(6) {
	case 0:
		set("annual_revenue", "0")
	case 1:
		set("annual_revenue", fmt.Sprintf("%d.%02d", rng.IntN(10_000_000), rng.IntN(100)))
	case 2, 3:
		set("annual_revenue", strconv.Itoa(rng.IntN(100_000_000)))
	}
	if i%23 == 0 {
		set("hs_email_optout", "true")
	} else if rng.IntN(4) > 0 {
		set("hs_email_optout", "false")
	}
	// Without a draw from rng: the other values stay as they were seeded.
	set("hs_marketable_status", strconv.FormatBool(i%17 != 0))
	set("hubspotscore", strconv.Itoa(rng.IntN(101)))
}
