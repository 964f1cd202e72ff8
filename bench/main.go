// Command bench measures the hub at council scale: `seed` fills a database fast,
// `vacuum` tidies it between runs, `load` drives open-loop load (a fixed arrival rate,
// so slow answers cannot hide behind fewer requests) at a running hub, scenario by scenario, beside a bare endpoint of the
// same server measured the same way, and prints a Markdown table. BENCHMARKS.md holds
// the figures and the commands that produced them.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: go run ./bench seed|vacuum|load [flags]  (each takes -h)")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "seed":
		err = seed(os.Args[2:])
	case "load":
		err = load(os.Args[2:])
	case "vacuum":
		err = vacuum(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// Seeded identities are derived from the customer's index, so the load can name
// existing customers without reading the database.
func phoneOf(i int) string { return fmt.Sprintf("+4471%08d", i) }
