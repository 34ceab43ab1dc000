//! Accent colours that stay readable: WCAG 2 contrast ratios, and the variant of a site
//! owner's colour that reaches 4.5:1 on each colour scheme's backgrounds.

/// A colour as `#rrggbb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

/// WCAG's minimum for normal text (links are text; focus rings need less).
pub const READABLE: f64 = 4.5;

impl Rgb {
    /// `#rrggbb` (as settings store it); anything else is `None`.
    pub fn parse(hex: &str) -> Option<Self> {
        let digits = hex.strip_prefix('#')?;
        if digits.len() != 6 || !digits.is_ascii() {
            return None;
        }
        let channel = |i: usize| u8::from_str_radix(&digits[i..i + 2], 16).ok();
        Some(Self(channel(0)?, channel(2)?, channel(4)?))
    }

    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// Relative luminance (WCAG 2).
    fn luminance(self) -> f64 {
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * linear(self.0) + 0.7152 * linear(self.1) + 0.0722 * linear(self.2)
    }

    /// Contrast ratio with `other`, from 1 to 21.
    pub fn contrast(self, other: Self) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    /// `t` of the way from this colour to `toward` (0: this one, 1: `toward`).
    fn mix(self, toward: Self, t: f64) -> Self {
        let channel = |a: u8, b: u8| {
            let mixed = f64::from(a) + (f64::from(b) - f64::from(a)) * t;
            // Within 0..=255 by construction.
            mixed.round().clamp(0.0, 255.0) as u8
        };
        Self(
            channel(self.0, toward.0),
            channel(self.1, toward.1),
            channel(self.2, toward.2),
        )
    }

    /// This colour if it reaches [`READABLE`] on every one of `backgrounds`, else the
    /// nearest mix toward `toward` (white for dark backgrounds, black for light ones) that
    /// does, keeping its hue as far as that allows.
    pub fn readable_on(self, backgrounds: &[Self], toward: Self) -> Self {
        let readable = |c: Self| backgrounds.iter().all(|bg| c.contrast(*bg) >= READABLE);
        (0..=20)
            .map(|step| self.mix(toward, f64::from(step) / 20.0))
            .find(|c| readable(*c))
            .unwrap_or(toward)
    }

    /// The text colour for this colour as a background (buttons): `light` or `dark`,
    /// whichever contrasts more.
    pub fn text_on(self, light: Self, dark: Self) -> Self {
        if self.contrast(light) >= self.contrast(dark) {
            light
        } else {
            dark
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WHITE: Rgb = Rgb(255, 255, 255);
    const BLACK: Rgb = Rgb(0, 0, 0);
    const DARK_BG: Rgb = Rgb(0x16, 0x18, 0x1c);

    #[test]
    fn parses_and_writes_hex() {
        assert_eq!(Rgb::parse("#2354c4"), Some(Rgb(0x23, 0x54, 0xc4)));
        assert_eq!(
            Rgb::parse("#2354c4").map(Rgb::hex).as_deref(),
            Some("#2354c4")
        );
        for bad in ["2354c4", "#abc", "#zzzzzz", "#2354c4ff", "#ééé", ""] {
            assert_eq!(Rgb::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn contrast_ratios_match_wcag() {
        assert!((WHITE.contrast(BLACK) - 21.0).abs() < 0.01);
        assert!((WHITE.contrast(WHITE) - 1.0).abs() < 0.01);
        // The figure: the default accent on the dark background.
        let default = Rgb::parse("#2354c4").unwrap();
        assert!(
            (default.contrast(DARK_BG) - 2.65).abs() < 0.05,
            "{}",
            default.contrast(DARK_BG)
        );
    }

    #[test]
    fn any_accent_becomes_readable_on_both_schemes() {
        for hex in [
            "#2354c4", "#000000", "#ffffff", "#ffd700", "#a4161a", "#00ff00", "#777777",
        ] {
            let accent = Rgb::parse(hex).unwrap();
            let light = accent.readable_on(&[WHITE, Rgb(0xf5, 0xf6, 0xf8)], BLACK);
            let dark = accent.readable_on(&[DARK_BG, Rgb(0x1f, 0x22, 0x27)], WHITE);
            assert!(
                light.contrast(WHITE) >= READABLE,
                "{hex} light {}",
                light.hex()
            );
            assert!(
                dark.contrast(DARK_BG) >= READABLE,
                "{hex} dark {}",
                dark.hex()
            );
        }
        // A colour that is already readable is kept as it is.
        let default = Rgb::parse("#2354c4").unwrap();
        assert_eq!(default.readable_on(&[WHITE], BLACK), default);
    }

    #[test]
    fn button_text_is_the_one_that_contrasts_more() {
        assert_eq!(Rgb::parse("#2354c4").unwrap().text_on(WHITE, BLACK), WHITE);
        assert_eq!(Rgb::parse("#ffd700").unwrap().text_on(WHITE, BLACK), BLACK);
    }
}
