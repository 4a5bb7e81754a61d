//! The relation graph of a CI as server-rendered SVG (no script, no external font): the CI in
//! the middle, what it depends on to the left and what depends on it to the right, two hops
//! each way. Every node links to its CI's page and is coloured by lifecycle state. Columns
//! are capped so a gateway with hundreds of sensors stays readable: the rest is one "+N"
//! node. Colours come from classes in `app.css` (the content security policy allows no
//! inline styles).

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One node to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphNode {
    /// Link target (the CI's page).
    pub href: String,
    /// First line (the code).
    pub code: String,
    /// Second line (the name).
    pub name: String,
    /// Tone class (`green`, `red`, …) from the lifecycle state.
    pub tone: &'static str,
    /// Tooltip text (state, relation).
    pub title: String,
    /// Key of the node it was reached through (None for the centre and direct neighbours
    /// when drawn from the centre).
    pub through: Option<String>,
    /// Stable key (the CI id).
    pub key: String,
}

/// The graph of one CI: upstream and downstream by hop (index 0 = one hop).
#[derive(Debug, Clone, Default)]
pub struct Graph {
    /// The CI.
    pub centre: Option<GraphNode>,
    /// What it depends on, by hop.
    pub upstream: [Vec<GraphNode>; 2],
    /// What depends on it, by hop.
    pub downstream: [Vec<GraphNode>; 2],
}

/// Labels drawn in the picture.
#[derive(Debug, Clone)]
pub struct GraphLabels {
    /// Column headings, left to right (five).
    pub columns: [String; 5],
    /// `+{n}` text for the overflow node, with `{n}` replaced.
    pub more: String,
    /// Text of an empty side.
    pub none: String,
    /// Accessible title of the whole picture.
    pub title: String,
}

/// Most nodes per column before the rest fold into one "+N" node.
pub const COLUMN_CAP: usize = 8;

const NODE_W: i32 = 176;
const NODE_H: i32 = 42;
const GAP: i32 = 10;
const COL_W: i32 = 214;
const TOP: i32 = 34;
const PAD: i32 = 12;

/// Escapes text for SVG (XML) content and attributes.
#[must_use]
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Shortens text to `max` characters with an ellipsis.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// A drawn column: the nodes shown and how many were left out.
struct Column<'a> {
    shown: Vec<&'a GraphNode>,
    hidden: usize,
}

fn column<'a>(nodes: &'a [GraphNode], order: &BTreeMap<String, usize>) -> Column<'a> {
    let mut sorted: Vec<&GraphNode> = nodes.iter().collect();
    // Second-hop nodes sit beside the node they hang from, so lines cross little.
    sorted.sort_by(|a, b| {
        let pa = a.through.as_ref().and_then(|t| order.get(t)).copied().unwrap_or(usize::MAX);
        let pb = b.through.as_ref().and_then(|t| order.get(t)).copied().unwrap_or(usize::MAX);
        pa.cmp(&pb).then_with(|| a.code.cmp(&b.code))
    });
    let hidden = sorted.len().saturating_sub(COLUMN_CAP);
    sorted.truncate(COLUMN_CAP);
    Column { shown: sorted, hidden }
}

fn slots(c: &Column<'_>) -> i32 {
    i32::try_from(c.shown.len() + usize::from(c.hidden > 0)).unwrap_or(0)
}

/// The number of nodes drawn (the overflow nodes count one each).
#[must_use]
pub fn drawn_nodes(g: &Graph) -> usize {
    let order = BTreeMap::new();
    let mut n = usize::from(g.centre.is_some());
    for list in g.upstream.iter().chain(g.downstream.iter()) {
        let c = column(list, &order);
        n += c.shown.len() + usize::from(c.hidden > 0);
    }
    n
}

/// Renders the graph as an `<svg>` element.
#[must_use]
pub fn render(g: &Graph, labels: &GraphLabels) -> String {
    let mut order: BTreeMap<String, usize> = BTreeMap::new();
    let up1 = column(&g.upstream[0], &order);
    let down1 = column(&g.downstream[0], &order);
    for (i, n) in up1.shown.iter().enumerate() {
        order.insert(n.key.clone(), i);
    }
    for (i, n) in down1.shown.iter().enumerate() {
        order.insert(n.key.clone(), i);
    }
    let up2 = column(&g.upstream[1], &order);
    let down2 = column(&g.downstream[1], &order);
    // Columns left to right: upstream 2, upstream 1, centre, downstream 1, downstream 2.
    let centre_col = Column { shown: g.centre.iter().collect(), hidden: 0 };
    let cols = [&up2, &up1, &centre_col, &down1, &down2];
    let rows = cols.iter().map(|c| slots(c)).max().unwrap_or(1).max(1);
    let height = TOP + rows * (NODE_H + GAP) + PAD;
    let width = COL_W * 5;
    let y_of = |c: &Column<'_>, i: i32| {
        let n = slots(c).max(1);
        TOP + (rows - n) * (NODE_H + GAP) / 2 + i * (NODE_H + GAP)
    };
    let x_of = |col: i32| col * COL_W + (COL_W - NODE_W) / 2;
    // Where each node was drawn (key → (column, y)), and each column's overflow node.
    let mut at: BTreeMap<&str, (i32, i32)> = BTreeMap::new();
    let mut overflow: [Option<i32>; 5] = [None; 5];
    for (ci, c) in cols.iter().enumerate() {
        let col = i32::try_from(ci).unwrap_or(0);
        for (i, n) in c.shown.iter().enumerate() {
            at.insert(n.key.as_str(), (col, y_of(c, i32::try_from(i).unwrap_or(0))));
        }
        if c.hidden > 0 {
            overflow[ci] = Some(y_of(c, i32::try_from(c.shown.len()).unwrap_or(0)));
        }
    }
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="relgraph" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        escape(&labels.title)
    );
    svg.push_str(r#"<defs><marker id="rg-arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L8,4 L0,8 z" class="rg-arrowhead"/></marker></defs>"#);
    for (ci, heading) in labels.columns.iter().enumerate() {
        let x = i32::try_from(ci).unwrap_or(0) * COL_W + COL_W / 2;
        let _ = write!(svg, r#"<text class="rg-col" x="{x}" y="18" text-anchor="middle">{}</text>"#, escape(heading));
    }
    // Edges first, so nodes sit on top. An edge points from the dependent to what it
    // depends on: right to left on both sides.
    let centre_key = g.centre.as_ref().map(|c| c.key.as_str()).unwrap_or_default();
    let edge = |svg: &mut String, from: (i32, i32), to: (i32, i32), title: &str| {
        // from/to: (column, y); the dependent is the right-hand one.
        let (left, right) = if from.0 < to.0 { (from, to) } else { (to, from) };
        let x1 = x_of(right.0);
        let y1 = right.1 + NODE_H / 2;
        let x2 = x_of(left.0) + NODE_W;
        let y2 = left.1 + NODE_H / 2;
        let mid = (x1 + x2) / 2;
        let _ = write!(
            svg,
            r#"<path class="rg-edge" d="M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}" marker-end="url(#rg-arrow)"><title>{}</title></path>"#,
            escape(title)
        );
    };
    let sides = [(&up1, 1, &up2, 0), (&down1, 3, &down2, 4)];
    for (first, first_col, second, second_col) in sides {
        if let Some(&centre) = at.get(centre_key) {
            for n in &first.shown {
                if let Some(&p) = at.get(n.key.as_str()) {
                    edge(&mut svg, p, centre, &n.title);
                }
            }
            if let Some(y) = overflow[usize::try_from(first_col).unwrap_or(0)] {
                edge(&mut svg, (first_col, y), centre, "");
            }
        }
        for n in &second.shown {
            let Some(&p) = at.get(n.key.as_str()) else { continue };
            let parent = n
                .through
                .as_deref()
                .and_then(|t| at.get(t))
                .copied()
                .or_else(|| overflow[usize::try_from(first_col).unwrap_or(0)].map(|y| (first_col, y)));
            if let Some(q) = parent {
                edge(&mut svg, p, q, &n.title);
            }
        }
        if let (Some(y), Some(q)) = (
            overflow[usize::try_from(second_col).unwrap_or(0)],
            first.shown.first().and_then(|n| at.get(n.key.as_str())).copied(),
        ) {
            edge(&mut svg, (second_col, y), q, "");
        }
    }
    for (ci, c) in cols.iter().enumerate() {
        let col = i32::try_from(ci).unwrap_or(0);
        let x = x_of(col);
        for (i, n) in c.shown.iter().enumerate() {
            let y = y_of(c, i32::try_from(i).unwrap_or(0));
            let centre = if ci == 2 { " rg-centre" } else { "" };
            let _ = write!(
                svg,
                r#"<a href="{}" class="rg-node rg-{}{centre}"><title>{}</title><rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="5"/><text class="rg-code" x="{}" y="{}">{}</text><text class="rg-name" x="{}" y="{}">{}</text></a>"#,
                escape(&n.href),
                n.tone,
                escape(&n.title),
                x + 8,
                y + 17,
                escape(&clip(&n.code, 22)),
                x + 8,
                y + 34,
                escape(&clip(&n.name, 13)),
            );
        }
        if c.hidden > 0 {
            let y = y_of(c, i32::try_from(c.shown.len()).unwrap_or(0));
            let text = labels.more.replace("{n}", &c.hidden.to_string());
            let _ = write!(
                svg,
                r#"<g class="rg-more"><rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="5"/><text x="{}" y="{}" text-anchor="middle">{}</text></g>"#,
                x + NODE_W / 2,
                y + 26,
                escape(&text)
            );
        }
        if c.shown.is_empty() && (ci == 1 || ci == 3) {
            let _ = write!(
                svg,
                r#"<text class="rg-none" x="{}" y="{}" text-anchor="middle">{}</text>"#,
                x + NODE_W / 2,
                TOP + (rows - 1) * (NODE_H + GAP) / 2 + 26,
                escape(&labels.none)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(key: &str, through: Option<&str>) -> GraphNode {
        GraphNode {
            href: format!("/assets/{key}"),
            code: key.to_owned(),
            name: format!("名称<{key}>"),
            tone: "green",
            title: String::new(),
            through: through.map(str::to_owned),
            key: key.to_owned(),
        }
    }

    fn labels() -> GraphLabels {
        GraphLabels {
            columns: ["U2".into(), "U1".into(), "C".into(), "D1".into(), "D2".into()],
            more: "+{n} 个".into(),
            none: "无".into(),
            title: "关系图".into(),
        }
    }

    #[test]
    fn every_node_links_to_its_page_and_text_is_escaped() {
        let g = Graph {
            centre: Some(node("GW", None)),
            upstream: [vec![node("SW", Some("GW"))], vec![node("CORE", Some("SW"))]],
            downstream: [vec![node("GD1", Some("GW")), node("GD2", Some("GW"))], vec![]],
        };
        let svg = render(&g, &labels());
        for k in ["GW", "SW", "CORE", "GD1", "GD2"] {
            assert!(svg.contains(&format!("href=\"/assets/{k}\"")), "{k}");
        }
        assert!(svg.contains("名称&lt;GD1&gt;") && !svg.contains("名称<GD1>"));
        assert_eq!(svg.matches("class=\"rg-edge\"").count(), 4);
        assert_eq!(drawn_nodes(&g), 5);
    }

    #[test]
    fn a_crowded_side_folds_into_one_more_node() {
        let many: Vec<GraphNode> = (0..300).map(|i| node(&format!("GD{i:03}"), Some("GW"))).collect();
        let second: Vec<GraphNode> = (0..50).map(|i| node(&format!("SV{i:02}"), Some("GD000"))).collect();
        let g = Graph { centre: Some(node("GW", None)), upstream: [vec![], vec![]], downstream: [many, second] };
        let svg = render(&g, &labels());
        assert!(svg.contains("+292 个") && svg.contains("+42 个"));
        assert_eq!(drawn_nodes(&g), 1 + 9 + 9);
        assert!(svg.contains(">无<"), "the empty upstream side says so");
    }
}
