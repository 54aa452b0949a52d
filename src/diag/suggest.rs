//! "Did you mean" suggestions: the closest known name by edit distance.

/// Optimal-string-alignment distance (Levenshtein plus adjacent swaps),
/// compared case-insensitively so `Tanh` finds `tanh`.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut prev2 = vec![0usize; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(prev2[j - 2] + 1);
            }
        }
        prev2 = std::mem::replace(&mut prev, cur);
    }
    prev[b.len()]
}

/// The candidate closest to `name`, if it is close enough to be a plausible
/// typo: distance at most one third of the name's length (at least 1), or
/// one name containing the other (`pos` / `position`).
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    let lower = name.to_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for cand in candidates {
        if cand == name {
            continue;
        }
        let d = edit_distance(name, cand);
        let cand_lower = cand.to_lowercase();
        let related = d <= limit
            || (lower.len() >= 3 && cand_lower.len() >= 3 && (cand_lower.contains(&lower) || lower.contains(&cand_lower)));
        if related && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, cand));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_edits_and_swaps() {
        assert_eq!(edit_distance("distance", "distance"), 0);
        assert_eq!(edit_distance("distnace", "distance"), 1);
        assert_eq!(edit_distance("is_hold", "is_holding"), 3);
        assert_eq!(edit_distance("True", "true"), 0);
    }

    #[test]
    fn closest_finds_typos_and_prefixes_but_not_strangers() {
        let names = ["distance", "angle", "is_holding", "contain"];
        assert_eq!(closest("distnace", names), Some("distance"));
        assert_eq!(closest("is_hold", names), Some("is_holding"));
        assert_eq!(closest("contains", names), Some("contain"));
        assert_eq!(closest("velocity", names), None);
        assert_eq!(closest("position", ["pos", "rot"]), Some("pos"));
    }
}
