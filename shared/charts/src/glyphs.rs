//! Text rasterisation for bitmap charts.
//!
//! plotters' `ab_glyph` text drawing drops each glyph's left side bearing, so letters in a word sit
//! unevenly ("live be nch"). [`GlyphText`] wraps a backend and lays text out itself with ab_glyph
//! (advances, kerning and bearings), using the same bundled font and the same advances plotters uses
//! to measure text, so anchors and label areas still line up. Every other call is passed through.

use ab_glyph::{Font as _, FontRef, ScaleFont as _, point};
use plotters::prelude::DrawingBackend;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};

/// A backend whose text is drawn by ab_glyph with correct glyph placement.
pub(super) struct GlyphText<B> {
    inner: B,
    font: FontRef<'static>,
}

impl<B: DrawingBackend> GlyphText<B> {
    /// Wraps `inner`, drawing text with the font in `font_bytes`; `None` when the font is invalid.
    pub(super) fn new(inner: B, font_bytes: &'static [u8]) -> Option<Self> {
        let font = FontRef::try_from_slice(font_bytes).ok()?;
        Some(Self { inner, font })
    }
}

impl<B: DrawingBackend> DrawingBackend for GlyphText<B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vertices: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.fill_polygon(vertices, style)
    }

    fn blit_bitmap(
        &mut self,
        position: BackendCoord,
        size: (u32, u32),
        source: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.blit_bitmap(position, size, source)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        position: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let color = style.color();
        if color.alpha == 0.0 || text.is_empty() {
            return Ok(());
        }
        // plotters measures text with `as_scaled(size)`, so the same scale keeps widths identical.
        let font = self.font.as_scaled(style.size() as f32);
        let ascent = font.ascent();
        let mut glyphs = Vec::with_capacity(text.len());
        let mut caret = 0.0_f32;
        let mut previous = None;
        for character in text.chars() {
            let id = font.glyph_id(character);
            if let Some(previous) = previous {
                caret += font.kern(previous, id);
            }
            glyphs.push(id.with_scale_and_position(font.scale(), point(caret, ascent)));
            caret += font.h_advance(id);
            previous = Some(id);
        }
        let width = caret;
        let height = ascent - font.descent();
        let anchor = style.anchor();
        let shift_x = match anchor.h_pos {
            HPos::Left => 0.0,
            HPos::Center => -width / 2.0,
            HPos::Right => -width,
        };
        let shift_y = match anchor.v_pos {
            VPos::Top => 0.0,
            VPos::Center => -height / 2.0,
            VPos::Bottom => -height,
        };
        let transform = style.transform();
        let (canvas_width, canvas_height) = self.inner.get_size();
        let mut result = Ok(());
        for glyph in glyphs {
            let Some(outline) = font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outline.px_bounds();
            outline.draw(|x, y, coverage| {
                if result.is_err() || coverage <= 0.0 {
                    return;
                }
                let glyph_x = (bounds.min.x + x as f32 + shift_x).round() as i32;
                let glyph_y = (bounds.min.y + y as f32 + shift_y).round() as i32;
                let (offset_x, offset_y) = transform.transform(glyph_x, glyph_y);
                let pixel = (position.0 + offset_x, position.1 + offset_y);
                let inside = u32::try_from(pixel.0).is_ok_and(|x| x < canvas_width)
                    && u32::try_from(pixel.1).is_ok_and(|y| y < canvas_height);
                if inside {
                    let alpha = color.alpha * f64::from(coverage.min(1.0));
                    result = self.inner.draw_pixel(
                        pixel,
                        BackendColor {
                            alpha,
                            rgb: color.rgb,
                        },
                    );
                }
            });
        }
        result
    }
}
