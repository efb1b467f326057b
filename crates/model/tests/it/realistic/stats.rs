//! The emitted data follows the configured model, within stated tolerances.

use std::collections::HashMap;

use csgen_model::realistic::{EXIT, Event, Fault, PAGES, Page, TARGETS};
use statrs::distribution::{ChiSquared, ContinuousCDF};

use super::{DAY, MONDAY, model, whole};

#[test]
fn sessions_follow_the_hour_of_day_profile() {
    let m = model("", 21);
    let weeks = 2;
    let events = whole(&m, MONDAY, MONDAY + weeks * 7 * DAY);
    let mut counts = [0f64; 24];
    for e in events.iter().filter(|e| e.page == Page::Landing) {
        counts[((e.ts_ms - MONDAY) / 3_600_000 % 24) as usize] += 1.0;
    }
    let weights = m.config().traffic.hour_of_day;
    let (total, wsum) = (counts.iter().sum::<f64>(), weights.iter().sum::<f64>());
    let chi2: f64 = counts
        .iter()
        .zip(weights)
        .map(|(&o, w)| {
            let e = total * w / wsum;
            (o - e).powi(2) / e
        })
        .sum();
    // Poisson arrivals: the statistic is chi-squared with 23 degrees of freedom.
    let p = 1.0 - ChiSquared::new(23.0).unwrap().cdf(chi2);
    assert!(p > 1e-4, "chi2 = {chi2}, p = {p}, counts {counts:?}");
    let evening = counts[20] / counts[4];
    let expected = weights[20] / weights[4];
    assert!(
        (evening / expected - 1.0).abs() < 0.1,
        "evening/night {evening} vs {expected}"
    );
}

#[test]
fn sessions_follow_the_day_of_week_profile() {
    let m = model("[store]\nsessions_per_day = 40000\n", 22);
    let events = whole(&m, MONDAY, MONDAY + 14 * DAY);
    let mut days = [0f64; 7];
    for e in events.iter().filter(|e| e.page == Page::Landing) {
        days[((e.ts_ms - MONDAY) / DAY % 7) as usize] += 1.0;
    }
    let w = m.config().traffic.day_of_week;
    let mean_w = w.iter().sum::<f64>() / 7.0;
    for d in 0..7 {
        let expected = 2.0 * 40_000.0 * w[d] / mean_w;
        // sd of a Poisson count of ~80,000 is under 0.4%; allow 2%.
        assert!(
            (days[d] / expected - 1.0).abs() < 0.02,
            "day {d}: {} vs {expected}",
            days[d]
        );
    }
}

/// The funnel with many removals (the cart row is the example's with 0.15 moved from
/// checkout to remove_from_cart), so that their row has data too.
const REMOVALS: &str = "[funnel.cart]\ngroup_list = 0.10\nproduct = 0.15\ncheckout = 0.30\nremove_from_cart = 0.15\nexit = 0.30\n";

/// Page transitions follow the funnel rows: `rows[page][target]` counts moves from a
/// cart with items (and from every other page); `empty[page][target]` those from an
/// empty cart, which follow the row without checkout and remove_from_cart.
#[test]
fn page_transitions_follow_the_funnel() {
    // Long gaps and sessions, so that only the funnel ends sessions.
    let m = model(
        &format!(
            "[store]\nsessions_per_day = 200000\n[session]\ninactivity_gap_s = 600000\nmax_pages = 255\nmax_duration_s = 600000\n{REMOVALS}"
        ),
        23,
    );
    let events = whole(&m, MONDAY, MONDAY + DAY / 2 + 3_600_000);
    let mut sessions: HashMap<u64, Vec<&Event>> = HashMap::new();
    for e in events.iter().filter(|e| e.ts_ms < MONDAY + DAY / 2) {
        sessions.entry(e.session_key()).or_default().push(e);
    }
    let mut counts = [[0f64; 8]; 8];
    let mut empty = [0f64; 8];
    for path in sessions.values_mut() {
        path.sort_by_key(|e| e.index());
        if path[0].page != Page::Landing {
            continue; // started before the window
        }
        if path.last().unwrap().ts_ms > MONDAY + DAY / 2 - 7_200_000 {
            continue; // may continue past the window
        }
        let mut cart: Vec<u64> = Vec::new();
        let last = path.len() - 1;
        for (i, e) in path.iter().enumerate() {
            match e.page {
                Page::AddToCart if !cart.contains(&e.product.unwrap()) => {
                    cart.push(e.product.unwrap())
                }
                Page::RemoveFromCart => {
                    let before = cart.len();
                    cart.retain(|&p| Some(p) != e.product);
                    assert_eq!(cart.len() + 1, before, "a removal takes a line of the cart");
                }
                Page::Purchase => cart.clear(),
                _ => {}
            }
            let target = if i == last {
                EXIT
            } else {
                path[i + 1].page as usize - 1
            };
            if cart.is_empty() && e.page == Page::Cart {
                empty[target] += 1.0;
            } else {
                counts[e.page as usize][target] += 1.0;
            }
        }
    }
    let funnel = m.config().funnel;
    let mut rows: Vec<(String, [f64; 8], [f64; 8])> = PAGES
        .iter()
        .map(|&p| {
            (
                p.state_name().to_owned(),
                counts[p as usize],
                funnel[p as usize],
            )
        })
        .collect();
    let without = m.config().next_page_shares(Page::Cart, true);
    assert_eq!(without[Page::Checkout as usize - 1], 0.0);
    assert!((without[EXIT] - 0.30 / 0.55).abs() < 1e-12, "{without:?}");
    rows.push(("empty cart".to_owned(), empty, without));
    for (name, row, shares) in rows {
        let n: f64 = row.iter().sum();
        assert!(n > 200.0, "{name}: only {n} transitions");
        for (t, &c) in row.iter().enumerate() {
            let p = shares[t];
            // Five standard errors, plus a little for rounding.
            let tolerance = 5.0 * (p * (1.0 - p) / n).sqrt() + 1e-3;
            let observed = c / n;
            assert!(
                (observed - p).abs() <= tolerance,
                "{name} -> {}: observed {observed:.4}, configured {p} (n = {n}, tolerance {tolerance:.4})",
                TARGETS[t]
            );
        }
    }
}

#[test]
fn product_views_follow_the_zipf_exponent() {
    let m = model(
        "[store]\nsessions_per_day = 100000\n[popularity]\nexponent = 1.1\n",
        24,
    );
    let events = whole(&m, MONDAY, MONDAY + DAY);
    let mut counts: HashMap<u64, f64> = HashMap::new();
    for e in events
        .iter()
        .filter(|e| e.page == Page::Product && e.group == 2)
    {
        *counts.entry(e.product.unwrap()).or_default() += 1.0;
    }
    let mut by_rank: Vec<f64> = counts.values().copied().collect();
    by_rank.sort_by(|a, b| b.partial_cmp(a).unwrap());
    // Least squares of ln(count) on ln(rank) over the top 30 ranks: slope = -exponent.
    let pts: Vec<(f64, f64)> = by_rank[..30]
        .iter()
        .enumerate()
        .map(|(i, &c)| (((i + 1) as f64).ln(), c.ln()))
        .collect();
    let n = pts.len() as f64;
    let (mx, my) = (
        pts.iter().map(|p| p.0).sum::<f64>() / n,
        pts.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let slope = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>()
        / pts.iter().map(|p| (p.0 - mx).powi(2)).sum::<f64>();
    assert!(
        (slope + 1.1).abs() < 0.1,
        "fitted exponent {} (configured 1.1)",
        -slope
    );
    // The best sellers are spread over the range, not the lowest ids.
    let top: Vec<u64> = {
        let mut v: Vec<(&u64, &f64)> = counts.iter().collect();
        v.sort_by(|a, b| b.1.partial_cmp(a.1).unwrap());
        v[..5].iter().map(|x| *x.0).collect()
    };
    assert!(
        top.iter().any(|&p| p > 100),
        "top products {top:?} follow a permutation"
    );
}

#[test]
fn faults_follow_their_rates() {
    let rates = [0.01, 0.02, 0.015, 0.005];
    let m = model(
        &format!(
            "[store]\nsessions_per_day = 100000\n[faults]\nduplicate = {}\nlate = {}\nout_of_order = {}\nmalformed = {}\n",
            rates[0], rates[1], rates[2], rates[3]
        ),
        25,
    );
    let events = whole(&m, MONDAY, MONDAY + DAY);
    let originals = events
        .iter()
        .filter(|e| e.fault != Fault::DuplicateCopy)
        .count() as f64;
    let count = |f: &dyn Fn(Fault) -> bool| events.iter().filter(|e| f(e.fault)).count() as f64;
    let observed = [
        count(&|f| f == Fault::Duplicated),
        count(&|f| f == Fault::Late),
        count(&|f| f == Fault::OutOfOrder),
        count(&|f| f.is_malformed()),
    ];
    assert_eq!(
        count(&|f| f == Fault::DuplicateCopy),
        observed[0],
        "one copy per duplicate"
    );
    for (o, p) in observed.iter().zip(rates) {
        let sd = (originals * p * (1.0 - p)).sqrt();
        assert!(
            (o - originals * p).abs() < 5.0 * sd,
            "{o} faults of rate {p} in {originals}"
        );
    }
    // Late arrivals: at least 1 s, log-normal median 900 s, at most 6 h.
    let mut delays: Vec<i64> = events
        .iter()
        .filter(|e| e.fault == Fault::Late)
        .map(|e| e.arrival_ms - e.ts_ms)
        .collect();
    delays.sort_unstable();
    let median = delays[delays.len() / 2] as f64 / 1000.0;
    assert!(
        (median / 900.0 - 1.0).abs() < 0.15,
        "median delay {median} s"
    );
    assert!(delays[0] >= 1000 && *delays.last().unwrap() <= 21_600_000);
}
