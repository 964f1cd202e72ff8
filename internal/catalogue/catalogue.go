// Package catalogue holds the council's reference data: the services it offers (by
// LGSL code, with their service levels), its customer service centres, the partner
// bodies it refers to, and the window in which a repeat contact counts as avoidable.
// The hub ships with benefits, local taxation and parking; a council replaces it with
// its own file (CONTACTHUB_CATALOGUE_FILE).
package catalogue

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"
)

// Service is one council service.
type Service struct {
	LGSL    int    `json:"lgsl"`
	Name    string `json:"name"`
	SLADays int    `json:"slaDays"`
}

// Entry is a centre or a partner body.
type Entry struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Catalogue is the reference data in force.
type Catalogue struct {
	AvoidableWindowDays int       `json:"avoidableWindowDays"`
	Services            []Service `json:"services"`
	Centres             []Entry   `json:"centres"`
	Partners            []Entry   `json:"partners"`
	HandoffReasons      []string  `json:"handoffReasons"`
	// QAErrorCategories are what a quality review may find wrong (DefaultQAErrorCategories
	// when the file lists none).
	QAErrorCategories []string `json:"qaErrorCategories,omitempty"`
	// IVRMenu maps the caller's menu choice to the service it is about.
	IVRMenu map[string]int `json:"ivrMenu"`
	// IVRDefaultService is the service of a call whose choice is unknown.
	IVRDefaultService int `json:"ivrDefaultService"`

	services map[int]Service
	centres  map[string]bool
	partners map[string]bool
}

//go:embed default.json
var defaultJSON []byte

// Default is the catalogue the hub ships with.
func Default() *Catalogue {
	c, err := Parse(defaultJSON)
	if err != nil {
		panic(fmt.Sprintf("built-in catalogue: %v", err)) // caught by the package's tests
	}
	return c
}

// Load reads a catalogue file, or returns Default when path is empty.
func Load(path string) (*Catalogue, error) {
	if path == "" {
		return Default(), nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read catalogue: %w", err)
	}
	return Parse(raw)
}

// Parse reads and checks a catalogue document.
func Parse(raw []byte) (*Catalogue, error) {
	var c Catalogue
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("catalogue is not valid JSON: %w", err)
	}
	c.services = map[int]Service{}
	c.centres = map[string]bool{}
	c.partners = map[string]bool{}
	var errs []error
	if c.AvoidableWindowDays < 1 {
		errs = append(errs, errors.New("avoidableWindowDays must be at least 1"))
	}
	for _, s := range c.Services {
		if s.LGSL < 1 || s.Name == "" || s.SLADays < 1 {
			errs = append(errs, fmt.Errorf("service %d needs a name and slaDays of at least 1", s.LGSL))
		}
		if _, dup := c.services[s.LGSL]; dup {
			errs = append(errs, fmt.Errorf("service %d is listed twice", s.LGSL))
		}
		c.services[s.LGSL] = s
	}
	for _, e := range c.Centres {
		c.centres[e.ID] = true
	}
	for _, e := range c.Partners {
		c.partners[e.ID] = true
	}
	for choice, lgsl := range c.IVRMenu {
		if _, ok := c.services[lgsl]; !ok {
			errs = append(errs, fmt.Errorf("ivrMenu choice %s names service %d, which is not listed", choice, lgsl))
		}
	}
	if _, ok := c.services[c.IVRDefaultService]; c.IVRDefaultService != 0 && !ok {
		errs = append(errs, fmt.Errorf("ivrDefaultService %d is not listed", c.IVRDefaultService))
	}
	if len(c.HandoffReasons) == 0 {
		errs = append(errs, errors.New("the catalogue lists no hand-off reasons"))
	}
	if len(c.Services) == 0 {
		errs = append(errs, errors.New("the catalogue lists no services"))
	}
	if len(c.QAErrorCategories) == 0 {
		c.QAErrorCategories = DefaultQAErrorCategories
	}
	return &c, errors.Join(errs...)
}

// DefaultQAErrorCategories are the error categories of quality reviews when the
// catalogue lists none.
var DefaultQAErrorCategories = []string{"wrong_decision", "wrong_amount", "missing_evidence", "wrong_resolution_code", "poor_communication"}

// Service returns the service with an LGSL code.
func (c *Catalogue) Service(lgsl int) (Service, bool) {
	s, ok := c.services[lgsl]
	return s, ok
}

// HasService reports whether lgsl is one of the council's services.
func (c *Catalogue) HasService(lgsl int) bool { _, ok := c.services[lgsl]; return ok }

// ErrorCategories are what a quality review may find wrong.
func (c *Catalogue) ErrorCategories() []string { return c.QAErrorCategories }

// HasCentre reports whether id is one of the council's centres.
func (c *Catalogue) HasCentre(id string) bool { return c.centres[id] }

// HasPartner reports whether id is one of the partner bodies.
func (c *Catalogue) HasPartner(id string) bool { return c.partners[id] }

// AvoidableWindow is how far back a contact about the same case counts as a repeat.
func (c *Catalogue) AvoidableWindow() time.Duration {
	return time.Duration(c.AvoidableWindowDays) * 24 * time.Hour
}
