package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/google/go-cmp/cmp"

	"github.com/council/contacthub/api"
)

type countingRouter struct {
	routers.Router
	calls int
}

func (c *countingRouter) FindRoute(req *http.Request) (*routers.Route, map[string]string, error) {
	c.calls++
	return c.Router.FindRoute(req)
}

// TestFindRoute_LiteralPathsAnsweredAsTheRouterWould holds the remembered routes to the
// router's own answers for every path of the spec, every method, and a few spellings a
// client might send instead, and checks that the literal paths no longer ask the router.
func TestFindRoute_LiteralPathsAnsweredAsTheRouterWould(t *testing.T) {
	doc, err := api.LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	literal, err := newLiteralRoutes(doc, router)
	if err != nil {
		t.Fatal(err)
	}
	counting := &countingRouter{Router: router}
	c := &contract{router: counting, literal: literal}
	var paths []string
	for path := range doc.Paths.Map() {
		paths = append(paths, path, path+"/", strings.ToUpper(path), strings.Replace(path, "/v1/", "/v1/%63", 1))
	}
	remembered := 0
	for _, path := range paths {
		path = strings.NewReplacer("{", "", "}", "").Replace(path)
		for _, method := range append(methods, "OPTIONS", "get") {
			req, err := http.NewRequest(method, path, nil)
			if err != nil {
				t.Fatal(err)
			}
			before := counting.calls
			got, gotParams, gotErr := c.findRoute(req)
			if counting.calls == before {
				remembered++
			}
			want, wantParams, wantErr := router.FindRoute(req)
			if gotErr != wantErr {
				t.Fatalf("%s %s: error %v, the router's %v", method, path, gotErr, wantErr)
			}
			if gotErr != nil {
				continue
			}
			if got.Path != want.Path || got.Method != want.Method || got.Operation != want.Operation || got.PathItem != want.PathItem {
				t.Errorf("%s %s: route %s %s, the router's %s %s", method, path, got.Method, got.Path, want.Method, want.Path)
			}
			if diff := cmp.Diff(wantParams, gotParams); diff != "" && len(wantParams)+len(gotParams) > 0 {
				t.Errorf("%s %s: parameters differ (-router +remembered):\n%s", method, path, diff)
			}
		}
	}
	if remembered == 0 || literal["/v1/customers"][http.MethodGet] == nil {
		t.Fatalf("no route was remembered (%d); GET /v1/customers should be", remembered)
	}
}
