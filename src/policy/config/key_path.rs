//! The keys that lead to a position of a YAML text.

/// The keys that lead to the value at a 1-based line and column of a YAML
/// text, outermost first, `-` for a list item: `["allow", "-", "match",
/// "state"]`. Read from the text (block indentation and flow brackets), for
/// errors whose only location is a position.
pub(super) fn key_path(text: &str, line: usize, column: usize) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let Some(cur) = lines.get(line.wrapping_sub(1)) else {
        return Vec::new();
    };
    // One line's shape: the column of its `- ` (if an item), of its content,
    // and its block key.
    fn shape(l: &str) -> (Option<usize>, usize, Option<String>) {
        let indent = l.len() - l.trim_start().len();
        let mut rest = &l[indent..];
        let mut col = indent + 1;
        let mut dash = None;
        while rest == "-" || rest.starts_with("- ") {
            dash.get_or_insert(col);
            let t = rest[1..].trim_start();
            col += rest.len() - t.len();
            rest = t;
        }
        let key = rest.split_once(':').and_then(|(k, after)| {
            let plain = !k.is_empty() && !k.contains(['{', '[', '"', '\'', '#', ',']);
            (plain && (after.is_empty() || after.starts_with([' ', '\t'])))
                .then(|| k.trim().to_string())
        });
        (dash, col, key)
    }
    // Keys on the error's own line, before the column (flow collections
    // included).
    let prefix: String = cur.chars().take(column.saturating_sub(1)).collect();
    let (cur_dash, cur_col, _) = shape(cur);
    let mut frames: Vec<(char, Option<String>)> = vec![(' ', None)];
    let mut tok = String::new();
    let mut quote: Option<char> = None;
    let chars: Vec<char> = prefix.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            tok.push(c);
            continue;
        }
        match c {
            '"' | '\'' => {
                quote = Some(c);
                tok.push(c);
            }
            '#' if i == 0 || chars[i - 1] == ' ' => break,
            '{' | '[' => {
                frames.push((c, None));
                tok.clear();
            }
            '}' | ']' => {
                if frames.len() > 1 {
                    frames.pop();
                }
                tok.clear();
            }
            ',' => {
                if let Some(f) = frames.last_mut() {
                    if f.0 == '{' {
                        f.1 = None;
                    }
                }
                tok.clear();
            }
            ':' if chars.get(i + 1).is_none_or(|n| *n == ' ') => {
                let key = tok.trim().trim_start_matches("- ").trim();
                let key = key.trim_matches(['"', '\'']).to_string();
                if let Some(f) = frames.last_mut() {
                    f.1 = Some(key);
                }
                tok.clear();
            }
            _ => tok.push(c),
        }
    }
    let mut same_line = Vec::new();
    if cur_dash.is_some_and(|d| d < column) {
        same_line.push("-".to_string());
    }
    for (kind, key) in &frames {
        if *kind == '[' {
            same_line.push("-".to_string());
        }
        if let Some(k) = key {
            same_line.push(k.clone());
        }
    }
    // Block ancestors: lines above with less indentation.
    let mut threshold = match cur_dash {
        Some(d) if d < column => d,
        _ => cur_col.min(column),
    };
    let mut up = Vec::new();
    for l in lines[..line - 1].iter().rev() {
        let t = l.trim();
        if threshold <= 1 {
            break;
        }
        if t.is_empty() || t.starts_with('#') || t == "---" {
            continue;
        }
        let (dash, col, key) = shape(l);
        if col < threshold {
            if let Some(k) = key {
                up.push(k);
            }
            threshold = col;
        }
        if let Some(d) = dash {
            if d < threshold {
                up.push("-".to_string());
                threshold = d;
            }
        }
    }
    up.reverse();
    up.extend(same_line);
    up
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_paths_from_positions() {
        let text = "version: 1\nallow:\n  - id: a\n    reason: r\n    match:\n      state: x\n  - id: b\n    match: {state: [select], test: T}\nretry:\n  when:\n    state: [x]\n";
        let p = |l, c| key_path(text, l, c);
        assert_eq!(p(1, 10), ["version"]);
        assert_eq!(p(4, 13), ["allow", "-", "reason"]);
        assert_eq!(p(6, 14), ["allow", "-", "match", "state"]);
        assert_eq!(p(7, 9), ["allow", "-", "id"]);
        assert_eq!(p(8, 20), ["allow", "-", "match", "state"]);
        assert_eq!(p(8, 36), ["allow", "-", "match", "test"]);
        assert_eq!(p(11, 13), ["retry", "when", "state", "-"]);
        assert_eq!(key_path("allow:\n  id: a\n", 2, 3), ["allow"]);
    }
}
