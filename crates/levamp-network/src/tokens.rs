//! Token holdings: the strongly connected components of "holds equity of"
//! (to find cycles of holdings) and the starting valuation of equity
//! tokens for the cascade's descent (everyone paying in full at the
//! shocked prices).

use levamp_core::{Base, Price, Quote, Round};

/// The strongly connected component of each node of the graph `edges`
/// (`edges[i]`: the nodes `i` points to); components are numbered from 0
/// in no particular order. Iterative Tarjan, deterministic.
pub(crate) fn components(edges: &[Vec<usize>]) -> Vec<usize> {
    let n = edges.len();
    const NONE: usize = usize::MAX;
    let (mut index, mut low, mut comp) = (vec![NONE; n], vec![0; n], vec![NONE; n]);
    let (mut on_stack, mut stack) = (vec![false; n], Vec::new());
    let (mut next_index, mut next_comp) = (0, 0);
    for root in 0..n {
        if index[root] != NONE {
            continue;
        }
        // (node, next edge to look at)
        let mut call = vec![(root, 0usize)];
        index[root] = next_index;
        low[root] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut e)) = call.last_mut() {
            if *e < edges[v].len() {
                let w = edges[v][*e];
                *e += 1;
                if index[w] == NONE {
                    index[w] = next_index;
                    low[w] = next_index;
                    next_index += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    call.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            call.pop();
            if let Some(&(parent, _)) = call.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp[w] = next_comp;
                    if w == v {
                        break;
                    }
                }
                next_comp += 1;
            }
        }
    }
    comp
}

/// The value per unit of an equity token whose issuer has equity
/// `equity`: `⌊max(equity, 0) ÷ supply⌋` (what a holder receives rounds
/// down).
pub(crate) fn equity_per_unit(
    equity: Quote,
    supply: Base,
) -> Result<Price, levamp_core::MathError> {
    if !equity.is_positive() {
        return Ok(Price::ZERO);
    }
    equity.per_unit(supply, Round::Floor)
}

#[cfg(test)]
mod tests {
    use super::components;

    #[test]
    fn cycles_share_a_component_and_chains_do_not() {
        // 0 → 1 → 2 → 0 is a cycle; 3 → 0 and 4 alone are not in it.
        let c = components(&[vec![1], vec![2], vec![0], vec![0], vec![]]);
        assert_eq!(c[0], c[1]);
        assert_eq!(c[1], c[2]);
        assert_ne!(c[3], c[0]);
        assert_ne!(c[4], c[0]);
        assert_ne!(c[4], c[3]);
    }
}
