//! The settings page's time-zone choice: ~600 IANA names grouped by region, each labelled
//! with its place and today's offset, the site's current zone first.

use chrono::{Offset, Utc};
use chrono_tz::{TZ_VARIANTS, Tz};

/// Regions of the IANA database, in the order the list shows them.
const REGIONS: [&str; 10] = [
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
];

/// One `<optgroup>`.
pub struct ZoneGroup {
    pub label: &'static str,
    pub zones: Vec<ZoneOption>,
}

/// One `<option>`: the zone's name is the value sent.
pub struct ZoneOption {
    pub name: &'static str,
    pub label: String,
    pub selected: bool,
}

/// Every zone, grouped; `current` (the saved or typed value) leads in its own group and is
/// the one selected.
pub fn grouped(current: &str) -> Vec<ZoneGroup> {
    let now = Utc::now();
    let mut groups: Vec<ZoneGroup> = REGIONS
        .iter()
        .chain(["Other"].iter())
        .map(|label| ZoneGroup {
            label,
            zones: Vec::new(),
        })
        .collect();
    let mut current_group = Vec::new();
    for tz in TZ_VARIANTS {
        let name = tz.name();
        let (region, place) = match name.split_once('/') {
            Some((region, place)) if REGIONS.contains(&region) => (region, place),
            _ => ("Other", name),
        };
        let label = format!(
            "{} ({})",
            place.replace('_', " ").replace('/', " / "),
            offset(tz, now)
        );
        if name == current {
            current_group.push(ZoneOption {
                name,
                label: label.clone(),
                selected: true,
            });
        }
        if let Some(group) = groups.iter_mut().find(|g| g.label == region) {
            group.zones.push(ZoneOption {
                name,
                label,
                selected: false,
            });
        }
    }
    for group in &mut groups {
        group.zones.sort_by(|a, b| a.label.cmp(&b.label));
    }
    if !current_group.is_empty() {
        groups.insert(
            0,
            ZoneGroup {
                label: "Current",
                zones: current_group,
            },
        );
    }
    groups
}

/// Today's offset from UTC, e.g. `UTC+05:30` or `UTC−03:00` (with a real minus sign).
fn offset(tz: Tz, now: chrono::DateTime<Utc>) -> String {
    let seconds = now.with_timezone(&tz).offset().fix().local_minus_utc();
    let sign = if seconds < 0 { '−' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    format!("UTC{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_current_zone_leads_and_is_the_only_one_selected() {
        let groups = grouped("Asia/Kolkata");
        assert_eq!(groups[0].label, "Current");
        assert_eq!(groups[0].zones[0].name, "Asia/Kolkata");
        assert_eq!(groups[0].zones[0].label, "Kolkata (UTC+05:30)");
        let selected: Vec<_> = groups
            .iter()
            .flat_map(|g| &g.zones)
            .filter(|z| z.selected)
            .collect();
        assert_eq!(selected.len(), 1);
        let asia = groups.iter().find(|g| g.label == "Asia").unwrap();
        assert!(asia.zones.iter().any(|z| z.name == "Asia/Kolkata"));
    }

    #[test]
    fn every_zone_is_offered_once_outside_current_with_a_readable_label() {
        let groups = grouped("Nowhere/Else");
        assert_ne!(groups[0].label, "Current");
        let total: usize = groups.iter().map(|g| g.zones.len()).sum();
        assert_eq!(total, TZ_VARIANTS.len());
        let america = groups.iter().find(|g| g.label == "America").unwrap();
        let buenos_aires = america
            .zones
            .iter()
            .find(|z| z.name == "America/Argentina/Buenos_Aires")
            .unwrap();
        assert_eq!(buenos_aires.label, "Argentina / Buenos Aires (UTC−03:00)");
        let other = groups.iter().find(|g| g.label == "Other").unwrap();
        assert!(
            other
                .zones
                .iter()
                .any(|z| z.name == "UTC" && z.label == "UTC (UTC+00:00)")
        );
    }

    #[test]
    fn groups_are_sorted_by_label() {
        for group in grouped("UTC") {
            let labels: Vec<_> = group.zones.iter().map(|z| z.label.clone()).collect();
            let mut sorted = labels.clone();
            sorted.sort();
            assert_eq!(labels, sorted, "{}", group.label);
        }
    }
}
