//! Distribution tests: Pearson chi-square goodness of fit of the lake's events against
//! the configured model, on draws the model makes independently.
//!
//! Raw counts per event type or per group are *not* multinomial: the events of one
//! session depend on each other (a session that reached the cart is more likely to
//! check out; product views stay in their group), so a test on them would reject a
//! correct model once the lake is large. The tests below use only draws that are
//! independent given what precedes them:
//!
//! 1. the group of every `group_view` event: drawn from `groups[].list_share`;
//! 2. the page after each page (consecutive events of a session, from the event ids):
//!    drawn from the page's `[funnel]` row; the session's other stops (inactivity,
//!    `max_pages`, `max_duration_s`) do not depend on the target, so given that a next
//!    event exists it follows the row without `exit`, renormalised. From an empty cart
//!    the model draws from the row without checkout and remove_from_cart
//!    (`RealisticConfig::next_page_shares`): the cart is empty when the session has
//!    added nothing since its start or its last purchase; moves from a cart page of a
//!    session whose cart the lake cannot tell (its start is missing, or it removed a
//!    line) are left out;
//! 3. the group of a product view entered from a landing, cart, checkout or purchase
//!    page (not one that stays in its group): drawn from `groups[].product_share`.
//!
//! Cells with an expected count under 5 are pooled (per funnel row), as the
//! chi-square approximation needs; counts where the model allows none fail the test
//! outright.

use csgen_model::RealisticConfig;
use csgen_model::realistic::{EXIT, PAGES, Page};
use statrs::distribution::{ChiSquared, ContinuousCDF};

use super::findings::{Cell, ChiSquare};
use super::ids::{LakeEvent, LakeIds};

/// Smallest expected count per cell.
const MIN_EXPECTED: f64 = 5.0;

/// Runs the tests at significance `alpha`; a test without enough data is left out.
pub fn tests(ids: &LakeIds, config: &RealisticConfig, alpha: f64) -> Vec<ChiSquare> {
    let groups = &config.store.groups;
    let g = groups.len();
    let mut list = vec![0u64; g + 1];
    let mut entered = vec![0u64; g + 1];
    let pages = PAGES.len();
    let mut moves = vec![[0u64; PAGES.len()]; pages + 1];
    // Row `pages` of `moves`: from a cart page with an empty cart.
    let empty_cart = pages;
    // Adds since the session's start or last purchase; `None` when unknown.
    let mut adds: Option<u32> = None;
    let mut prev: Option<&LakeEvent> = None;
    for e in distinct(&ids.events) {
        if e.page == Page::GroupList as u8 {
            list[group_cell(e.group, g)] += 1;
        }
        let follows = prev.filter(|p| p.lo + 1 == e.lo && e.lo & 0xff != 0);
        if follows.is_none() {
            // A session's start, or a gap in its events: its cart is known again only
            // from its landing.
            adds = (e.lo & 0xff == 0).then_some(0);
        }
        if let Some(p) =
            follows.filter(|p| usize::from(p.page) < pages && usize::from(e.page) < pages)
        {
            let row = match adds {
                Some(0) if p.page == Page::Cart as u8 => Some(empty_cart),
                None if p.page == Page::Cart as u8 => None,
                _ => Some(usize::from(p.page)),
            };
            if let Some(row) = row {
                moves[row][e.page as usize] += 1;
            }
            let from = PAGES[p.page as usize];
            let outside = matches!(
                from,
                Page::Landing | Page::Cart | Page::Checkout | Page::Purchase
            );
            if outside && e.page == Page::Product as u8 {
                entered[group_cell(e.group, g)] += 1;
            }
        }
        adds = match e.page {
            p if p == Page::AddToCart as u8 => adds.map(|n| n + 1),
            p if p == Page::Purchase as u8 => adds.map(|_| 0),
            p if p == Page::RemoveFromCart as u8 => None,
            _ => adds,
        };
        prev = Some(e);
    }

    let group_rows = |counts: &[u64], share: fn(&csgen_model::Group) -> f64| {
        let mut row: Vec<(String, u64, f64)> = groups
            .iter()
            .enumerate()
            .map(|(i, gr)| (gr.id.to_string(), counts[i], share(gr)))
            .collect();
        row.push(("other".to_owned(), counts[g], 0.0));
        vec![row]
    };
    let funnel_rows: Vec<Vec<(String, u64, f64)>> = PAGES
        .iter()
        .map(|&from| (from, false, from as usize))
        .chain([(Page::Cart, true, empty_cart)])
        .map(|(from, empty, row)| {
            let p = config.next_page_shares(from, empty);
            let stay = 1.0 - p[EXIT];
            let name = if empty {
                "empty cart".to_owned()
            } else {
                from.to_string()
            };
            PAGES[1..]
                .iter()
                .map(|&to| {
                    let share = if stay > 0.0 {
                        p[to as usize - 1] / stay
                    } else {
                        0.0
                    };
                    let count = moves[row][to as usize];
                    (format!("{name} -> {to}"), count, share)
                })
                .collect()
        })
        .collect();

    [
        (
            "group of group_view events ~ groups[].list_share",
            group_rows(&list[..], |gr| gr.list_share),
        ),
        (
            "next page within a session ~ [funnel] rows without exit",
            funnel_rows,
        ),
        (
            "group of product views entered from outside a group ~ groups[].product_share",
            group_rows(&entered[..], |gr| gr.product_share),
        ),
    ]
    .into_iter()
    .filter_map(|(name, rows)| pearson(name, &rows, alpha))
    .collect()
}

/// Distinct events by id (a misplaced copy in a second partition counts once).
fn distinct(events: &[LakeEvent]) -> impl Iterator<Item = &LakeEvent> {
    events
        .iter()
        .enumerate()
        .filter(|(i, e)| *i == 0 || events[i - 1].lo != e.lo)
        .map(|(_, e)| e)
}

/// Index of group `id` in the counts, `groups` for an id the config does not have.
fn group_cell(id: u16, groups: usize) -> usize {
    match usize::from(id) {
        0 => groups,
        i if i > groups => groups,
        i => i - 1,
    }
}

/// The pooled Pearson test over independent rows of (label, observed, probability);
/// `None` when there is nothing to test.
pub fn pearson(name: &str, rows: &[Vec<(String, u64, f64)>], alpha: f64) -> Option<ChiSquare> {
    let (mut statistic, mut df, mut n) = (0.0, 0u64, 0u64);
    let mut cells = Vec::new();
    let mut impossible = Vec::new();
    for row in rows {
        let total: u64 = row.iter().map(|c| c.1).sum();
        n += total;
        let mut kept: Vec<Cell> = Vec::new();
        let mut pooled = Cell {
            label: String::new(),
            observed: 0,
            expected: 0.0,
        };
        let mut pooled_labels = Vec::new();
        for (label, observed, p) in row {
            let expected = total as f64 * p;
            if *p <= 0.0 {
                if *observed > 0 {
                    impossible.push(format!("{observed} × {label}"));
                }
            } else if expected < MIN_EXPECTED {
                pooled.observed += observed;
                pooled.expected += expected;
                pooled_labels.push(label.as_str());
            } else {
                kept.push(Cell {
                    label: label.clone(),
                    observed: *observed,
                    expected,
                });
            }
        }
        if !pooled_labels.is_empty() {
            pooled.label = pooled_labels.join(" + ");
            match kept.last_mut() {
                // Too small on its own: fold it into a kept cell.
                Some(last) if pooled.expected < MIN_EXPECTED => {
                    last.label = format!("{} + {}", last.label, pooled.label);
                    last.observed += pooled.observed;
                    last.expected += pooled.expected;
                }
                _ => kept.push(pooled),
            }
        }
        if kept.len() < 2 {
            continue;
        }
        df += kept.len() as u64 - 1;
        statistic += kept
            .iter()
            .map(|c| (c.observed as f64 - c.expected).powi(2) / c.expected)
            .sum::<f64>();
        cells.extend(kept);
    }
    if df == 0 && impossible.is_empty() {
        return None;
    }
    let p_value = match (impossible.is_empty(), df) {
        (false, _) => 0.0,
        (true, df) => ChiSquared::new(df as f64).map_or(1.0, |d| d.sf(statistic)),
    };
    Some(ChiSquare {
        name: name.to_owned(),
        n,
        statistic,
        df,
        p_value,
        alpha,
        passed: p_value >= alpha,
        note: (!impossible.is_empty())
            .then(|| format!("counts the model allows none of: {}", impossible.join(", "))),
        cells,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[(&str, u64, f64)]) -> Vec<(String, u64, f64)> {
        cells
            .iter()
            .map(|(l, o, p)| ((*l).to_owned(), *o, *p))
            .collect()
    }

    #[test]
    fn a_fair_sample_passes_and_a_skewed_one_fails() {
        let fair = pearson("t", &[row(&[("1", 305, 0.3), ("2", 695, 0.7)])], 0.001).unwrap();
        assert_eq!((fair.n, fair.df), (1000, 1));
        // (305-300)²/300 + (695-700)²/700
        assert!((fair.statistic - (25.0 / 300.0 + 25.0 / 700.0)).abs() < 1e-9);
        assert!(fair.passed && fair.p_value > 0.7, "{fair:?}");
        let skewed = pearson("t", &[row(&[("1", 400, 0.3), ("2", 600, 0.7)])], 0.001).unwrap();
        assert!(!skewed.passed && skewed.p_value < 1e-9, "{skewed:?}");
    }

    #[test]
    fn small_cells_are_pooled_and_impossible_counts_fail() {
        let t = pearson(
            "t",
            &[row(&[("a", 50, 0.5), ("b", 48, 0.48), ("c", 2, 0.02)])],
            0.001,
        )
        .unwrap();
        assert_eq!(t.df, 1, "c (expected 2) folded into b: {t:?}");
        assert_eq!(t.cells[1].label, "b + c");
        let t = pearson(
            "t",
            &[row(&[("a", 50, 0.5), ("b", 49, 0.5), ("x", 1, 0.0)])],
            0.001,
        )
        .unwrap();
        assert!(!t.passed);
        assert_eq!(
            t.note.as_deref(),
            Some("counts the model allows none of: 1 × x")
        );
    }

    #[test]
    fn rows_pool_their_statistics_and_degrees_of_freedom() {
        let rows = [
            row(&[("1", 30, 0.3), ("2", 70, 0.7)]),
            row(&[("x", 10, 0.1), ("y", 40, 0.4), ("z", 50, 0.5)]),
        ];
        let t = pearson("t", &rows, 0.01).unwrap();
        assert_eq!((t.n, t.df, t.cells.len()), (200, 3, 5));
        assert!(t.statistic.abs() < 1e-12 && (t.p_value - 1.0).abs() < 1e-9);
    }

    /// One `landing, group_view` session per entry, the group view in that group.
    fn sessions(groups: &[u16]) -> LakeIds {
        let mut rows = Vec::new();
        for (k, &g) in groups.iter().enumerate() {
            let id = |i: u8| format!("b414ba26-e372-831c-9c82-{:010x}{i:02x}", k + 1);
            rows.push((id(0), "landing", None));
            rows.push((id(1), "group_view", Some(i32::from(g))));
        }
        LakeIds::from_rows(
            None,
            rows.iter()
                .map(|(id, t, g)| ("2026-11-02T00", id.as_str(), *t, *g)),
        )
    }

    #[test]
    fn the_model_tests_read_groups_and_transitions_from_the_lake() {
        let config = RealisticConfig::defaults();
        let shares: Vec<f64> = config.store.groups.iter().map(|g| g.list_share).collect();
        assert_eq!(shares, [0.3, 0.7], "the built-in store");
        // 300 sessions in group 1 and 700 in group 2, as the shares say.
        let fair: Vec<u16> = (0..1000).map(|i| if i % 10 < 3 { 1 } else { 2 }).collect();
        let t = tests(&sessions(&fair), &config, 0.001);
        assert_eq!(t.len(), 2, "groups and transitions: {t:#?}");
        assert_eq!((t[0].n, t[0].statistic), (1000, 0.0));
        assert_eq!(t[1].n, 1000, "1000 landing -> group_view transitions");
        assert!(t[0].passed);
        // landing -> group_view alone is what the funnel row predicts 35/67 of the time.
        assert!(!t[1].passed);
        let skewed: Vec<u16> = (0..1000).map(|i| if i % 2 == 0 { 1 } else { 2 }).collect();
        assert!(!tests(&sessions(&skewed), &config, 0.001)[0].passed);
    }

    #[test]
    fn nothing_to_test_is_no_test() {
        assert!(pearson("t", &[row(&[("1", 0, 0.3), ("2", 0, 0.7)])], 0.01).is_none());
    }
}
