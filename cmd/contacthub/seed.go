package main

import (
	"context"
	"fmt"
	"io"

	"github.com/council/contacthub/internal/app"
	"github.com/council/contacthub/internal/customer"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/identifier"
)

// demoCustomers are fictional residents (Ofcom drama numbers, example.org addresses).
var demoCustomers = []customer.NewCustomer{
	{GivenName: "Amara", FamilyName: "Okafor", DateOfBirth: "1984-03-12",
		Address:  customer.Address{Line1: "12 Station Road", Town: "Haringey", Postcode: "N15 4QR"},
		Consents: customer.Consents{SMSSurveys: true},
		Identifiers: []customer.IdentifierInput{{Kind: identifier.Phone, Value: "07700 900123"},
			{Kind: identifier.Email, Value: "amara.okafor@example.org"}, {Kind: identifier.CouncilTaxAccount, Value: "512345678"}}},
	{GivenName: "Tomasz", FamilyName: "Nowak", DateOfBirth: "1979-11-02",
		Address: customer.Address{Line1: "Flat 3, 40 High Street", Town: "Haringey", Postcode: "N8 7PB"},
		Needs:   customer.Needs{PreferredLanguage: "pl", AssistedDigital: true},
		Identifiers: []customer.IdentifierInput{{Kind: identifier.Phone, Value: "+44 7700 900456"},
			{Kind: identifier.BenefitClaim, Value: "HB123456"}}},
	{GivenName: "Edith", FamilyName: "Clarke", DateOfBirth: "1941-06-30",
		Address: customer.Address{Line1: "7 Park Lane", Town: "Haringey", Postcode: "N17 0AP"},
		Needs:   customer.Needs{Vulnerable: true, Accessibility: []string{"large print letters"}},
		Identifiers: []customer.IdentifierInput{{Kind: identifier.Phone, Value: "020 7946 0018"},
			{Kind: identifier.UPRN, Value: "000100023336"}}},
}

func seed(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("seed", "Adds a few fictional customers (skipping any already there).", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, log, err := loadConfig()
	if err != nil {
		return err
	}
	ctx := context.Background()
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	actor := customer.Actor{Subject: "seed", Role: "admin"}
	for _, in := range demoCustomers {
		c, err := a.Customers.Create(ctx, actor, in)
		if fault.Is(err, fault.IdentifierTaken) {
			fmt.Fprintf(stdout, "%s %s is already there\n", in.GivenName, in.FamilyName)
			continue
		}
		if err != nil {
			return fmt.Errorf("seed %s %s: %w", in.GivenName, in.FamilyName, err)
		}
		fmt.Fprintf(stdout, "%s %s %s\n", c.ID, c.GivenName, c.FamilyName)
	}
	return nil
}
