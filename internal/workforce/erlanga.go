package workforce

import (
	"math"
)

// Erlang A is the M/M/N+M queue (Palm 1943): Poisson arrivals at rate λ, N agents each
// serving at rate μ = 1/AHT, and each waiting caller hanging up at rate θ = 1/patience.
// It is a birth–death chain; we follow Mandelbaum & Zeltyn, "Service Engineering in Action:
// the Palm/Erlang-A Queue, with Applications to Call Centers" (2007), §2, for its stationary
// distribution and measures (P(wait) by PASTA; P(abandon) = θ·E[queue]/λ; ASA = E[queue]/λ
// by Little's law), and compute them without factorials:
//   - the states 0…N sum to π_N / B(N, A) — Erlang B, by the same recurrence as Erlang C;
//   - a queue of j callers has π_{N+j} = π_{N+j−1} · λ / (Nμ + jθ), summed until negligible.
// The service level — the share of ALL offered callers answered within t (a caller who hangs
// up counts as not answered) — needs the waiting-time distribution, which we compute by
// uniformisation (Jensen 1953; Grassmann 1977) of the tagged caller's chain: with i callers
// ahead, the head moves at rate Nμ + iθ and the caller hangs up at rate θ.

// aMeasures are what N agents achieve under Erlang A.
type aMeasures struct {
	pw, sl, asa, occ, pab float64
}

// queueTail bounds the waiting states we sum: far beyond any queue a council sees.
const queueTail = 20_000

func erlangAMeasures(n int, lambda, mu, theta, t float64) aMeasures {
	a := lambda / mu
	b := erlangB(n, a)
	if b == 0 {
		// Erlang B has underflowed: N is so far above the traffic that nobody waits.
		return aMeasures{sl: 1, occ: a / float64(n)}
	}
	head := 1 / b // Σ π_0…π_N with π_N = 1
	w := []float64{1}
	sum, lq := 1.0, 0.0
	nmu := float64(n) * mu
	for j := 1; j < queueTail; j++ {
		next := w[j-1] * lambda / (nmu + float64(j)*theta)
		// Stop once the terms fall (the drift has turned) and no longer matter.
		if next < w[j-1] && next < 1e-12*(head+sum) {
			break
		}
		w = append(w, next)
		sum += next
		lq += float64(j) * next
		if sum > 1e250 {
			// Overloaded and very patient: rescale to stay finite.
			for i := range w {
				w[i] *= 1e-250
			}
			sum, lq, head = sum*1e-250, lq*1e-250, head*1e-250
		}
	}
	total := head - 1 + sum
	m := aMeasures{pw: sum / total, asa: lq / total / lambda}
	m.pab = theta * lq / total / lambda
	m.occ = a * (1 - m.pab) / float64(n)
	for i := range w {
		w[i] /= total
	}
	m.sl = (1 - m.pw) + answeredWithin(w, nmu, theta, t)
	return m
}

// answeredWithin is the probability mass, out of the waiting states w (w[i]: an arrival
// finds i callers ahead), answered within t, by uniformisation of the tagged caller's chain.
func answeredWithin(w []float64, nmu, theta, t float64) float64 {
	if t <= 0 {
		return 0
	}
	top := len(w) - 1
	rate := nmu + float64(top+1)*theta // the fastest total rate out of any state
	x := rate * t
	steps := int(math.Ceil(x + 8*math.Sqrt(x) + 20))
	v := append([]float64(nil), w...)
	down := make([]float64, top+1) // rate of the head moving, per step
	stay := make([]float64, top+1)
	for i := range v {
		down[i] = (nmu + float64(i)*theta) / rate
		stay[i] = 1 - (nmu+float64(i)*theta+theta)/rate
	}
	served, answered := 0.0, 0.0
	// Poisson weights by the ratio p_k = p_{k−1}·x/k, started in log space so that a long
	// threshold at a high rate cannot underflow e^{−x}.
	logP := -x
	for k := 0; k <= steps; k++ {
		if k > 0 {
			logP += math.Log(x / float64(k))
		}
		answered += math.Exp(logP) * served
		served += v[0] * nmu / rate
		for i := 0; i < top; i++ {
			v[i] = v[i]*stay[i] + v[i+1]*down[i+1]
		}
		v[top] *= stay[top]
	}
	return answered
}

// staffErlangA finds the fewest agents meeting the target under Erlang A: Erlang C's answer
// bounds the search from above (usually; it is checked), and the service level rises with N,
// so a bisection needs a handful of evaluations.
func staffErlangA(l Load, a float64, tg Target) (Staffing, error) {
	upper, err := staffErlangC(a, l.HandlingSeconds, Target{ServiceLevel: tg.ServiceLevel, AnswerWithinSeconds: tg.AnswerWithinSeconds})
	if err != nil {
		return Staffing{}, err
	}
	lambda := l.Volume / l.IntervalSeconds
	mu, theta := 1/l.HandlingSeconds, 1/tg.PatienceSeconds
	seen := map[int]aMeasures{} // the search asks some levels twice
	at := func(n int) aMeasures {
		m, ok := seen[n]
		if !ok {
			m = erlangAMeasures(n, lambda, mu, theta, tg.AnswerWithinSeconds)
			seen[n] = m
		}
		return m
	}
	hi := upper.Agents
	for at(hi).sl < tg.ServiceLevel {
		if hi >= maxAgents {
			return Staffing{}, ErrTooMuchTraffic
		}
		hi++
	}
	// Gallop down from Erlang C's answer, then bisect the last step: Erlang A usually needs
	// a few agents fewer, and states near the answer are cheap to evaluate, where a deeply
	// overloaded guess (a long queue to sum and uniformise) is not.
	lo, step := hi, 1
	for lo > 1 {
		next := max(hi-step, 1)
		if at(next).sl < tg.ServiceLevel {
			lo = next + 1
			break
		}
		hi, lo = next, next
		step *= 2
	}
	for lo < hi {
		mid := (lo + hi) / 2
		if at(mid).sl >= tg.ServiceLevel {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	n := hi
	m := at(n)
	for tg.MaxOccupancy > 0 && tg.MaxOccupancy < 1 && m.occ > tg.MaxOccupancy+1e-9 {
		n++
		m = at(n)
	}
	return Staffing{Model: ErlangA, Traffic: a, Agents: n, ServiceLevel: m.sl, ASASeconds: m.asa,
		ProbabilityOfWait: m.pw, Occupancy: m.occ, ProbabilityAbandon: m.pab}, nil
}
