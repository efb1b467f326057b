//! Readable product titles from our own word lists, unique within a group.
//!
//! A group's products are numbered 0..n; a seeded [`Permutation`] of the title space
//! gives product i the title number `perm(i mod SPACE)`, and the products past the
//! first `SPACE` get ", Vol. 2", ", Vol. 3"…, so no two products of a group share a
//! title. Title number j is decoded in mixed radix over three templates:
//! "The {adjective} {noun}", "{noun} of {place}" and "The {noun} and the {other noun}".

use std::fmt::Write;

use crate::realistic::Permutation;

const ADJECTIVES: [&str; 48] = [
    "Silent",
    "Hidden",
    "Golden",
    "Broken",
    "Distant",
    "Crimson",
    "Quiet",
    "Burning",
    "Frozen",
    "Lost",
    "Hollow",
    "Secret",
    "Wandering",
    "Midnight",
    "Silver",
    "Forgotten",
    "Restless",
    "Gentle",
    "Bitter",
    "Endless",
    "Painted",
    "Velvet",
    "Shattered",
    "Wild",
    "Emerald",
    "Sleeping",
    "Iron",
    "Paper",
    "Electric",
    "Northern",
    "Fading",
    "Lonely",
    "Brave",
    "Crooked",
    "Luminous",
    "Stolen",
    "Patient",
    "Savage",
    "Tender",
    "Invisible",
    "Scarlet",
    "Salt",
    "Winter",
    "Summer",
    "Glass",
    "Hungry",
    "Last",
    "Little",
];

const NOUNS: [&str; 64] = [
    "Harbor",
    "Garden",
    "River",
    "Lantern",
    "Mountain",
    "Letter",
    "Orchard",
    "Kingdom",
    "Mirror",
    "Compass",
    "Island",
    "Forest",
    "Bridge",
    "Tower",
    "Voyage",
    "Promise",
    "Shadow",
    "Window",
    "Archive",
    "Engine",
    "Lighthouse",
    "Meadow",
    "Cathedral",
    "Fox",
    "Raven",
    "Falcon",
    "Storm",
    "Tide",
    "Ember",
    "Clockmaker",
    "Cartographer",
    "Orchestra",
    "Station",
    "Canyon",
    "Desert",
    "Valley",
    "Circus",
    "Atlas",
    "Monastery",
    "Labyrinth",
    "Ferry",
    "Observatory",
    "Violin",
    "Carousel",
    "Glacier",
    "Prairie",
    "Wolf",
    "Heron",
    "Lagoon",
    "Citadel",
    "Market",
    "Summit",
    "Horizon",
    "Signal",
    "Chronicle",
    "Garrison",
    "Quarry",
    "Reef",
    "Hotel",
    "Bookshop",
    "Telegraph",
    "Balloon",
    "Caravan",
    "Whale",
];

const PLACES: [&str; 32] = [
    "Ashes",
    "Autumn",
    "Silence",
    "the North",
    "Glass",
    "Stars",
    "Smoke",
    "the Deep",
    "Tomorrow",
    "Copper",
    "the Tides",
    "Rain",
    "Dust",
    "Summer",
    "Thunder",
    "the Moon",
    "Salt",
    "Lanterns",
    "the Old World",
    "Dreams",
    "Bone",
    "Fire",
    "the Valley",
    "Echoes",
    "Winter",
    "Paper",
    "the Sea",
    "Marble",
    "Mist",
    "Sorrow",
    "Gold",
    "the Last Light",
];

const T0: u64 = (ADJECTIVES.len() * NOUNS.len()) as u64;
const T1: u64 = (NOUNS.len() * PLACES.len()) as u64;
const T2: u64 = (NOUNS.len() * (NOUNS.len() - 1)) as u64;

/// Distinct titles before volumes repeat them.
pub const SPACE: u64 = T0 + T1 + T2;

/// Titles of one group: a permutation of the title space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Titles {
    order: Permutation,
}

impl Titles {
    pub fn new(seed: u64) -> Self {
        Self {
            order: Permutation::new(SPACE, seed),
        }
    }

    /// Appends the title of the group's product number `i` (0-based) to `out`.
    pub fn write(&self, i: u64, out: &mut String) {
        let j = self.order.apply(i % SPACE);
        let noun = |k: u64| NOUNS[k as usize];
        // Writing to a String cannot fail.
        let _ = if j < T0 {
            let (a, n) = (j / NOUNS.len() as u64, j % NOUNS.len() as u64);
            write!(out, "The {} {}", ADJECTIVES[a as usize], noun(n))
        } else if j < T0 + T1 {
            let j = j - T0;
            let (n, p) = (j / PLACES.len() as u64, j % PLACES.len() as u64);
            write!(out, "{} of {}", noun(n), PLACES[p as usize])
        } else {
            let j = j - T0 - T1;
            let (n, k) = (j / (NOUNS.len() as u64 - 1), j % (NOUNS.len() as u64 - 1));
            // The other noun skips the first, so the two always differ.
            let other = if k >= n { k + 1 } else { k };
            write!(out, "The {} and the {}", noun(n), noun(other))
        };
        let volume = i / SPACE;
        if volume > 0 {
            let _ = write!(out, ", Vol. {}", volume + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn titles_are_unique_and_readable() {
        let t = Titles::new(7);
        let mut seen = HashSet::new();
        for i in 0..SPACE + 500 {
            let mut s = String::new();
            t.write(i, &mut s);
            assert!(s.len() > 5 && !s.contains("  "), "{s:?}");
            assert!(seen.insert(s.clone()), "{s} twice");
        }
        let mut a = String::new();
        Titles::new(8).write(0, &mut a);
        let mut b = String::new();
        t.write(0, &mut b);
        assert_ne!(a, b, "another seed, other titles");
    }
}
