//! Ruin and recreate operators of the search: adjacent string removal (strings of consecutive
//! stops cut from routes near a random seed job, sometimes keeping a middle piece) and greedy
//! insertion with blinks (each position skipped with a small probability), after Christiaens &
//! Vanden Berghe's SISR (2020). Also the removal of a whole route for fleet minimisation.
//! On multi-trip routes, strings cut stops but keep reload markers (a trip left empty merges
//! away), and a job can be inserted into any trip or open a new trip of its own.
//!
//! Owns the moves on the search state. Must not depend on the checker or on I/O.

use super::constraints::{
    Insertion, NewTrip, RELOAD, RouteState, compatible, insertion_delta, insertion_delta_trips,
    needs_simulation, new_trip_delta, normalise_trips, simulate, stability_delta,
};
use super::model::Objective;
use super::solver::{Ctx, Rng, State};

/// Parameters of the string removal.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RuinParams {
    /// Average number of removed jobs.
    pub avg_removed: f64,
    /// Longest string.
    pub max_string: f64,
    /// Probability of the split-string variant.
    pub split_rate: f64,
    /// Probability of continuing to grow the kept middle piece.
    pub split_grow: f64,
}

/// Remove strings of consecutive unlocked stops around a random seed job. Removed jobs are
/// appended to `removed`, changed routes to `touched`.
pub(crate) fn ruin_strings(
    ctx: &Ctx,
    s: &mut State,
    rng: &mut Rng,
    prm: RuinParams,
    removed: &mut Vec<u32>,
    touched: &mut Vec<usize>,
) {
    let (mut total, mut count) = (0usize, 0usize);
    for r in &s.routes {
        let free = r.jobs.len() - r.locked;
        if free > 0 {
            total += free;
            count += 1;
        }
    }
    if count == 0 {
        return;
    }
    let ls_max = prm.max_string.min(total as f64 / count as f64);
    let ks_max = 4.0 * prm.avg_removed / (1.0 + ls_max) - 1.0;
    let ks = (rng.f64() * ks_max + 1.0).floor().max(1.0) as usize;
    // Seed: a random assigned job.
    let n = ctx.p.jobs.len();
    let mut seed = rng.below(n);
    for _ in 0..n {
        if s.route_of[seed] != u32::MAX {
            break;
        }
        seed = (seed + 1) % n;
    }
    let mut ruined = 0usize;
    let start_touched = touched.len();
    for &c in std::iter::once(&(seed as u32)).chain(ctx.neighbours[seed].iter()) {
        if ruined >= ks {
            break;
        }
        let ri = s.route_of[c as usize];
        if ri == u32::MAX || touched[start_touched..].contains(&(ri as usize)) {
            continue;
        }
        let ri = ri as usize;
        let route = &mut s.routes[ri];
        let Some(pos) = route.jobs.iter().position(|&x| x == c) else {
            continue;
        };
        if pos < route.locked {
            continue;
        }
        let card = route.jobs.len() - route.locked;
        let l_max = ls_max.min(card as f64);
        let l = ((rng.f64() * l_max + 1.0).floor() as usize).clamp(1, card);
        let lo = route.locked;
        // Removing stops moves the departure, which with several windows per stop can break a
        // transit or duration limit: keep a copy to put back when that happens.
        let guarded = route.has_transit || ctx.p.vehicle_types[route.vt].max_duration.is_some();
        let saved = if guarded {
            Some((route.jobs.clone(), removed.len()))
        } else {
            None
        };
        let trips = ctx.p.vehicle_types[route.vt].max_trips > 1;
        if l == card || rng.f64() >= prm.split_rate {
            // A string of length l containing pos, within [lo, len).
            let first_min = pos.saturating_sub(l - 1).max(lo);
            let first_max = pos.min(route.jobs.len() - l);
            let first = first_min + rng.below(first_max - first_min + 1);
            if trips {
                cut_keeping_reloads(&mut route.jobs, first, first + l, removed);
            } else {
                removed.extend(route.jobs.drain(first..first + l));
            }
        } else if trips {
            let mut m = 1;
            while l + m < card && rng.f64() < prm.split_grow {
                m += 1;
            }
            let tot = l + m;
            let first_min = pos.saturating_sub(tot - 1).max(lo);
            let first_max = pos.min(route.jobs.len() - tot);
            let first = first_min + rng.below(first_max - first_min + 1);
            let keep_at = first + rng.below(l + 1);
            cut_keeping_reloads(&mut route.jobs, keep_at + m, first + tot, removed);
            cut_keeping_reloads(&mut route.jobs, first, keep_at, removed);
        } else {
            // Split string: a string of length l + m around pos, keeping m in the middle.
            let mut m = 1;
            while l + m < card && rng.f64() < prm.split_grow {
                m += 1;
            }
            let tot = l + m;
            let first_min = pos.saturating_sub(tot - 1).max(lo);
            let first_max = pos.min(route.jobs.len() - tot);
            let first = first_min + rng.below(first_max - first_min + 1);
            let keep_at = first + rng.below(l + 1);
            removed.extend_from_slice(&route.jobs[keep_at + m..first + tot]);
            removed.extend_from_slice(&route.jobs[first..keep_at]);
            route.jobs.drain(keep_at + m..first + tot);
            route.jobs.drain(first..keep_at);
        }
        if trips {
            normalise_trips(&mut route.jobs);
        }
        if let Some((jobs, before)) = saved
            && !route.jobs.is_empty()
            && simulate(ctx.p, route.vt, &route.jobs, None).is_none()
        {
            route.jobs = jobs;
            removed.truncate(before);
            continue;
        }
        touched.push(ri);
        ruined += 1;
    }
    for &r in &touched[start_touched..] {
        let route = &mut s.routes[r];
        route.update(ctx.p);
        if route.is_empty() {
            s.used[route.vt] -= 1;
            s.nonempty -= 1;
        }
        for &j in route.jobs.iter().filter(|&&j| j != RELOAD) {
            s.route_of[j as usize] = r as u32;
        }
    }
    for &j in removed.iter() {
        s.route_of[j as usize] = u32::MAX;
    }
}

/// Remove the stops in `jobs[a..b]` into `removed`, keeping the reload markers in place (so no
/// kept stop changes trip).
fn cut_keeping_reloads(jobs: &mut Vec<u32>, a: usize, b: usize, removed: &mut Vec<u32>) {
    let mut i = 0;
    jobs.retain(|&x| {
        let cut = (a..b).contains(&i) && x != RELOAD;
        i += 1;
        if cut {
            removed.push(x);
        }
        !cut
    });
}

/// Sort the removed jobs by one of SISR's orders: random, largest load, farthest or closest.
pub(crate) fn sort_removed(ctx: &Ctx, removed: &mut [u32], rng: &mut Rng) {
    let w = rng.below(11);
    if w < 4 {
        for i in (1..removed.len()).rev() {
            removed.swap(i, rng.below(i + 1));
        }
    } else if w < 8 {
        removed.sort_by(|a, b| ctx.load_size[*b as usize].total_cmp(&ctx.load_size[*a as usize]));
    } else if w < 10 {
        removed.sort_by(|a, b| ctx.home_dist[*b as usize].total_cmp(&ctx.home_dist[*a as usize]));
    } else {
        removed.sort_by(|a, b| ctx.home_dist[*a as usize].total_cmp(&ctx.home_dist[*b as usize]));
    }
}

/// Greedy insertion with blinks of every job in `removed` (in order); jobs that fit nowhere
/// go to the unassigned list. New routes are opened while the fleet allows and the total stays
/// under `max_routes`.
pub(crate) fn recreate(
    ctx: &Ctx,
    s: &mut State,
    rng: &mut Rng,
    removed: &[u32],
    touched: &mut Vec<usize>,
    blink: f64,
    max_routes: usize,
) {
    let p = ctx.p;
    let mut scratch = Vec::new();
    for &j in removed {
        let job = &p.jobs[j as usize];
        let mut best_cost = f64::INFINITY;
        let mut best: Option<(usize, usize)> = None;
        let mut best_trip: Option<(usize, NewTrip)> = None;
        let mut best_new: Option<usize> = None;
        for (ri, r) in s.routes.iter().enumerate() {
            if r.is_empty() || r.sealed {
                continue;
            }
            let v = &p.vehicle_types[r.vt];
            if v.max_trips > 1 {
                if !compatible(v, job) {
                    continue;
                }
                let sim = needs_simulation(p, r.vt, r.has_transit, job);
                let base = if p.objective == Objective::Cost {
                    v.route_cost(r.distance)
                } else {
                    0.0
                };
                let price = |dd: f64, pos: usize| {
                    stability_delta(p, r, j, pos)
                        + if p.objective == Objective::Cost {
                            v.route_cost(r.distance + dd) - base + ctx.duration_weight * dd
                        } else {
                            dd
                        }
                };
                for pos in r.locked..=r.jobs.len() {
                    if (blink > 0.0 && rng.f64() < blink)
                        || !r.trip_has_room(v, job, r.trip_at(pos))
                    {
                        continue;
                    }
                    let dd = match insertion_delta_trips(p, r, j, pos, sim) {
                        Insertion::Feasible(dd) => dd,
                        Insertion::Infeasible => continue,
                        Insertion::TooLate if ctx.metric => break,
                        Insertion::TooLate => continue,
                    };
                    let cost = price(dd, pos);
                    if cost < best_cost {
                        best_cost = cost;
                        best = Some((ri, pos));
                        best_trip = None;
                    }
                }
                if r.trip_stops.len() < v.max_trips {
                    let ends = (r.locked.max(1)..=r.jobs.len())
                        .filter(|&pos| pos == r.jobs.len() || r.jobs[pos] == RELOAD)
                        .map(NewTrip::After);
                    let first = (r.locked == 0).then_some(NewTrip::First);
                    for at in first.into_iter().chain(ends) {
                        let pos = match at {
                            NewTrip::First => 0,
                            NewTrip::After(pos) => pos,
                        };
                        if let Some(dd) = new_trip_delta(p, r, j, at, &mut scratch) {
                            let cost = price(dd, pos);
                            if cost < best_cost {
                                best_cost = cost;
                                best = None;
                                best_trip = Some((ri, at));
                            }
                        }
                    }
                }
                continue;
            }
            if !compatible(v, job)
                || v.max_stops.is_some_and(|m| r.jobs.len() >= m)
                || r.load
                    .iter()
                    .zip(&job.load)
                    .zip(&v.capacity)
                    .any(|((l, d), c)| l + d > *c)
            {
                continue;
            }
            let sim = needs_simulation(p, r.vt, r.has_transit, job);
            let base = if p.objective == Objective::Cost {
                v.route_cost(r.distance)
            } else {
                0.0
            };
            for pos in r.locked..=r.jobs.len() {
                if blink > 0.0 && rng.f64() < blink {
                    continue;
                }
                let dd = match insertion_delta(p, r, j, pos, sim) {
                    Insertion::Feasible(dd) => dd,
                    Insertion::Infeasible => continue,
                    Insertion::TooLate if ctx.metric => break,
                    Insertion::TooLate => continue,
                };
                {
                    let cost = stability_delta(p, r, j, pos)
                        + if p.objective == Objective::Cost {
                            v.route_cost(r.distance + dd) - base + ctx.duration_weight * dd
                        } else {
                            dd
                        };
                    if cost < best_cost {
                        best_cost = cost;
                        best = Some((ri, pos));
                        best_trip = None;
                    }
                }
            }
        }
        if s.nonempty < max_routes {
            for (vt, v) in p.vehicle_types.iter().enumerate() {
                if v.count.is_some_and(|c| s.used[vt] >= c)
                    || p.group_full(&s.used, vt)
                    || !compatible(v, job)
                    || v.max_stops == Some(0)
                    || job.load.iter().zip(&v.capacity).any(|(d, c)| d > c)
                {
                    continue;
                }
                let e = &ctx.empty[vt];
                let sim = needs_simulation(p, vt, false, job);
                if let Insertion::Feasible(dd) = insertion_delta(p, e, j, 0, sim) {
                    let cost = p.change_cost(j as usize, vt, None)
                        + match p.objective {
                            Objective::Cost => v.route_cost(dd) + ctx.duration_weight * dd,
                            Objective::Distance => dd,
                            Objective::VehiclesThenDistance => dd + ctx.new_route_penalty,
                        };
                    if cost < best_cost {
                        best_cost = cost;
                        best = None;
                        best_trip = None;
                        best_new = Some(vt);
                    }
                }
            }
        }
        let ri = if let Some(vt) = best_new {
            let slot = match s.routes.iter().position(RouteState::is_empty) {
                Some(i) => i,
                None => {
                    s.routes.push(RouteState::new(vt, p.dims));
                    s.routes.len() - 1
                }
            };
            let r = &mut s.routes[slot];
            r.vt = vt;
            r.locked = 0;
            r.sealed = false;
            r.jobs.push(j);
            s.used[vt] += 1;
            s.nonempty += 1;
            slot
        } else if let Some((ri, pos)) = best {
            s.routes[ri].jobs.insert(pos, j);
            ri
        } else if let Some((ri, at)) = best_trip {
            let jobs = &mut s.routes[ri].jobs;
            match at {
                NewTrip::First => {
                    jobs.splice(0..0, [j, RELOAD]);
                }
                NewTrip::After(pos) => {
                    jobs.splice(pos..pos, [RELOAD, j]);
                }
            }
            ri
        } else {
            s.unassigned.push(j);
            continue;
        };
        s.routes[ri].update(p);
        s.route_of[j as usize] = ri as u32;
        if !touched.contains(&ri) {
            touched.push(ri);
        }
    }
}
