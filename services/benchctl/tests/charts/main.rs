//! Charts: each renderer draws fixed data into valid SVG and PNG files with the expected series, and
//! each `benchctl chart` command fetches its data over gRPC (from a fake service) and writes both files.

#![allow(unused_crate_dependencies)] // a binary, test or bench target sees every dependency of its package

mod commands;
mod fake;
mod fixtures;
mod render;

use std::path::{Path, PathBuf};

use benchhub_benchctl::charts::ChartFiles;
use chrono::NaiveDate;

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];

/// Returns a fresh, empty directory for one test's files.
fn out_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("charts")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A decoded RGB(A) PNG.
struct Png {
    width: u32,
    height: u32,
    /// RGB of every pixel, row by row.
    pixels: Vec<(u8, u8, u8)>,
}

impl Png {
    fn read(path: &Path) -> Png {
        let bytes = std::fs::read(path).expect("png file exists");
        assert_eq!(
            bytes[..8],
            PNG_SIGNATURE,
            "{} has no PNG signature",
            path.display()
        );
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().expect("png header decodes");
        let mut buffer = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buffer).expect("png frame decodes");
        assert_eq!(info.bit_depth, png::BitDepth::Eight);
        let channels = match info.color_type {
            png::ColorType::Rgb => 3,
            png::ColorType::Rgba => 4,
            other => panic!("unexpected png colour type {other:?}"),
        };
        let pixels = buffer[..info.buffer_size()]
            .chunks_exact(channels)
            .map(|pixel| (pixel[0], pixel[1], pixel[2]))
            .collect();
        Png {
            width: info.width,
            height: info.height,
            pixels,
        }
    }

    fn count(&self, color: (u8, u8, u8)) -> usize {
        self.pixels.iter().filter(|pixel| **pixel == color).count()
    }

    /// Dark (text) pixels in the rows `rows`.
    fn dark_pixels_in_rows(&self, rows: std::ops::Range<u32>) -> usize {
        let width = self.width as usize;
        self.pixels[rows.start as usize * width..rows.end as usize * width]
            .iter()
            .filter(|(red, green, blue)| *red < 90 && *green < 90 && *blue < 90)
            .count()
    }
}

/// Checks the PNG's size, that its title text was rendered (the bundled font works without system
/// fonts) and that every series colour is present; returns it for further checks.
fn check_png(path: &Path, size: (u32, u32), series_colors: &[(u8, u8, u8)]) -> Png {
    let image = Png::read(path);
    assert_eq!((image.width, image.height), size, "{}", path.display());
    let title_pixels = image.dark_pixels_in_rows(8..40);
    assert!(
        title_pixels > 300,
        "{}: the title text was not rendered ({title_pixels} dark pixels)",
        path.display()
    );
    for color in series_colors {
        let pixels = image.count(*color);
        assert!(
            pixels > 30,
            "{}: series colour {color:?} has only {pixels} pixels",
            path.display()
        );
    }
    image
}

/// An SVG file parsed as XML.
struct Svg {
    text: String,
}

impl Svg {
    fn read(path: &Path) -> Svg {
        let text = std::fs::read_to_string(path).expect("svg file exists");
        roxmltree::Document::parse(&text).expect("svg parses as xml");
        Svg { text }
    }

    fn with<T>(&self, inspect: impl FnOnce(&roxmltree::Document<'_>) -> T) -> T {
        let document = roxmltree::Document::parse(&self.text).expect("svg parses as xml");
        inspect(&document)
    }

    fn size(&self) -> (u32, u32) {
        self.with(|document| {
            let root = document.root_element();
            assert_eq!(root.tag_name().name(), "svg");
            let number = |name| root.attribute(name).expect("size").parse().expect("number");
            (number("width"), number("height"))
        })
    }

    fn texts(&self) -> Vec<String> {
        self.with(|document| {
            document
                .descendants()
                .filter(|node| node.has_tag_name("text"))
                .filter_map(|node| node.text().map(|text| text.trim().to_owned()))
                .collect()
        })
    }

    /// Elements `tag` whose `attribute` is `color` (as `#RRGGBB`).
    fn count(&self, tag: &str, attribute: &str, color: (u8, u8, u8)) -> usize {
        let hex = hex(color);
        self.with(|document| {
            document
                .descendants()
                .filter(|node| node.has_tag_name(tag) && node.attribute(attribute) == Some(&hex))
                .count()
        })
    }

    fn assert_texts(&self, expected: &[&str]) {
        let texts = self.texts();
        for label in expected {
            assert!(
                texts.iter().any(|text| text.contains(label)),
                "no text containing {label:?} in {texts:?}"
            );
        }
    }
}

fn hex((red, green, blue): (u8, u8, u8)) -> String {
    format!("#{red:02X}{green:02X}{blue:02X}")
}

fn assert_file_names(files: &ChartFiles, dir: &Path, stem: &str) {
    assert_eq!(files.svg, dir.join(format!("{stem}.svg")));
    assert_eq!(files.png, dir.join(format!("{stem}.png")));
}

fn date(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, month, day).expect("valid date")
}
