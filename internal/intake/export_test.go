package intake

// WithoutRollup stops in from keeping the daily counts, so that a benchmark can time
// recording a contact with and without them in one run.
func (in *Intake) WithoutRollup() { in.rollup.off = true }

// RollupPrepared says whether the rollup's upsert is prepared.
func (in *Intake) RollupPrepared() bool { return in.prepared() != nil }

// WithoutQuarterCount stops in from keeping the quarter-hour counts, so that a benchmark
// can time recording a contact with and without them in one run.
func (in *Intake) WithoutQuarterCount() { in.quarters.off = true }

// QuarterCountPrepared says whether the quarter-hour count's upsert is prepared.
func (in *Intake) QuarterCountPrepared() bool {
	in.quarters.mu.Lock()
	defer in.quarters.mu.Unlock()
	return in.quarters.stmt != nil
}

// UpsertRollup is the rollup's upsert, for the contention benchmark.
var UpsertRollup = upsertRollup

// RollupColumns is how many counts the upsert takes after its four key values.
const RollupColumns = len(rollupColumns)
