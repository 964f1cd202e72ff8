package catalogue

import (
	"strings"
	"testing"
)

func TestDefault_ShipsBenefitsTaxAndParking(t *testing.T) {
	c := Default()
	for _, lgsl := range []int{57, 58, 59, 60, 61, 1763, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 1148, 1147, 726, 54, 55, 56, 1672, 474, 471, 473, 279, 1616} {
		if _, ok := c.Service(lgsl); !ok {
			t.Errorf("LGSL %d missing", lgsl)
		}
	}
	if !c.HasPartner("citizens-advice") || !c.HasCentre("civic-centre") || c.AvoidableWindowDays != 7 {
		t.Fatal("default partners, centres or window missing")
	}
}

func TestParse_RejectsABrokenCatalogue(t *testing.T) {
	_, err := Parse([]byte(`{"avoidableWindowDays":0,"services":[{"lgsl":58,"name":"x","slaDays":1},{"lgsl":58,"name":"y","slaDays":0}]}`))
	for _, want := range []string{"avoidableWindowDays", "listed twice", "slaDays"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to mention %s", err, want)
		}
	}
}
