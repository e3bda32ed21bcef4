"""Party resolution: the same client across CRM, billing, ERP and bank.

Records are linked into resolved parties in rounds of decreasing strength:
1. ids carried in metadata (a billing customer's CRM account id, ERP account), legal ids
   (SIREN from SIREN/SIRET/VAT), IBANs known to a record, remembered aliases;
2. transitive evidence from documents: an invoice citing a CRM contract links the billing
   customer to the CRM account; an invoice booked in the ERP (same number) links the billing
   customer to the ERP auxiliary account;
3. names, only for records still alone, and only when one candidate wins by a clear margin.
A parent paying for its subsidiary is never merged with it: bank payers are attached by IBAN,
remembered aliases, or a clear name match, and otherwise stay unresolved with candidates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from reconkit.catalog.settings import PartyResolution
from reconkit.keys.identifiers import normalize_iban, siren_from
from reconkit.keys.names import best_name_candidates, name_similarity
from reconkit.keys.normalize import normalize_name, reference_key
from reconkit.result import stable_id_expr
from reconkit.schemas import PolarsDataType

PAYER_ALIAS = "payer:"  # alias system prefix of an accepted "who pays for whom" pair


@dataclass(frozen=True)
class PartyMap:
    """Resolved parties.

    members: party_id, system, source_id, name, evidence (how the record joined its party).
    payers: one row per bank payment: payment record_id, payer_key, party_id (null when
        unresolved), payer_evidence (iban | alias | name | null), candidate_party_ids (list).
    unresolved: system, record_id, candidate_party_ids, detail.
    renamed: party_id, system, record_id, detail.
    related: party_id, related_party_id (CRM parent accounts).
    pays_for: payer_party_id, party_id: accepted "who pays for whom" pairs (aliases of system
        `payer:<system>`, `reconkit audit --accept-payers`): a payment from the first party
        for the second's invoices has a known payer; the parties stay separate.
    """

    members: pl.DataFrame
    payers: pl.DataFrame
    unresolved: pl.DataFrame
    renamed: pl.DataFrame
    related: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(
        schema={"party_id": pl.String, "related_party_id": pl.String}))
    pays_for: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(
        schema={"payer_party_id": pl.String, "party_id": pl.String}))

    def groups(self) -> pl.DataFrame:
        """(party_id, group_party_id): each party with itself, its parent and its children."""
        me = self.members.select("party_id").unique().with_columns(
            pl.col("party_id").alias("group_party_id"))
        rel = self.related.rename({"related_party_id": "group_party_id"})
        back = self.related.select(pl.col("related_party_id").alias("party_id"),
                                   pl.col("party_id").alias("group_party_id"))
        return pl.concat([me, rel, back]).unique().sort("party_id", "group_party_id")

    def party_of(self, system: str) -> pl.DataFrame:
        """(source_id, party_id) for one system's records."""
        return (self.members.filter(pl.col("system") == system)
                .select(pl.col("source_id").alias("record_id"), "party_id"))


def _key(system: pl.Expr | str, rid: pl.Expr) -> pl.Expr:
    sys_expr = pl.lit(system) if isinstance(system, str) else system
    return pl.concat_str([sys_expr, rid], separator="|")


def resolve_parties(tables: dict[str, pl.DataFrame], settings: PartyResolution,
                    aliases: pl.DataFrame | None = None) -> PartyMap:
    """Resolve parties across systems from canonical tables (and remembered aliases), with
    the name thresholds of the catalog's `party_resolution` section.

    `aliases`: optional frame (system, source_id, target_system, target_id) of confirmed
    links remembered from earlier decisions, e.g. ("bank", IBAN, "billing", "cus_...").
    """
    parties = tables.get("parties", pl.DataFrame()).lazy().collect() \
        if "parties" in tables else _empty_parties()
    parties = parties.with_columns(
        _key(pl.col("system"), pl.col("record_id")).alias("key"),
        normalize_name(pl.col("name")).alias("norm"),
    )
    edges: list[pl.DataFrame] = []
    payer_aliases: pl.DataFrame | None = None

    def link(pairs: pl.DataFrame, why: str) -> None:
        edges.append(pairs.select(pl.col("a").cast(pl.String), pl.col("b").cast(pl.String),
                                  pl.lit(why).alias("why")))

    # 1. carried ids
    for col, target in (("crm_ref", "crm"), ("billing_ref", "billing"), ("erp_ref", "erp")):
        link(parties.filter(pl.col(col).is_not_null()).select(
            pl.col("key").alias("a"), _key(target, pl.col(col)).alias("b")), f"id:{col}")
    sirens = parties.select("key", "system", siren_from(pl.col("legal_id")).alias("siren")) \
        .filter(pl.col("siren").is_not_null())
    link(sirens.join(sirens, on="siren").filter(pl.col("system") != pl.col("system_right"))
         .select(pl.col("key").alias("a"), pl.col("key_right").alias("b")), "legal_id")
    ibans = parties.select("key", normalize_iban(pl.col("iban")).alias("iban")) \
        .filter(pl.col("iban").is_not_null())
    link(ibans.join(ibans, on="iban").filter(pl.col("key") != pl.col("key_right"))
         .select(pl.col("key").alias("a"), pl.col("key_right").alias("b")), "iban")
    if aliases is not None and aliases.height:
        payer_aliases = aliases.filter(pl.col("system").str.starts_with(PAYER_ALIAS))
        aliases = aliases.filter(~pl.col("system").str.starts_with(PAYER_ALIAS))
        link(aliases.select(_key(pl.col("system"), pl.col("source_id")).alias("a"),
                            _key(pl.col("target_system"), pl.col("target_id")).alias("b")),
             "alias")

    # 2. documents
    invoices = tables.get("invoices")
    commitments = tables.get("commitments")
    ledger = tables.get("ledger_lines")
    if invoices is not None and commitments is not None and invoices.height:
        refs = pl.concat([
            commitments.filter(pl.col("contract_number").is_not_null()).select(
                pl.col("contract_number").alias("ref"), "party_record_id"),
            commitments.select(pl.col("record_id").alias("ref"), "party_record_id"),
        ])
        link(invoices.filter(pl.col("commitment_ref").is_not_null())
             .join(refs, left_on="commitment_ref", right_on="ref")
             .select(_key("billing", pl.col("party_record_id")).alias("a"),
                     _key("crm", pl.col("party_record_id_right")).alias("b")), "contract")
    if invoices is not None and ledger is not None and invoices.height and ledger.height:
        inv = invoices.select("party_record_id", reference_key(pl.col("number")).alias("k"))
        led = ledger.filter(pl.col("aux_account").is_not_null()).select(
            "aux_account", reference_key(pl.col("piece_ref")).alias("k"))
        # an invoice number seen on exactly one ERP account
        led = led.unique().filter(pl.len().over("k") == 1)
        link(inv.join(led, on="k").select(_key("billing", pl.col("party_record_id")).alias("a"),
                                          _key("erp", pl.col("aux_account")).alias("b")),
             "invoice_booked")

    # 3. names, for records still alone: first records of different systems carrying exactly
    # the same normalised name (one per system), then a clear best match among the others
    comp = _components(parties, edges)
    alone = comp.filter((pl.len().over("root") == 1) & pl.col("norm").is_not_null())
    same = alone.filter((pl.len().over("norm") > 1)
                        & (pl.col("system").n_unique().over("norm") == pl.len().over("norm")))
    link(same.select(pl.col("key").alias("a"), pl.col("key").min().over("norm").alias("b"))
         .filter(pl.col("a") != pl.col("b")), "name")
    comp = _components(parties, edges)
    ambiguous = pl.DataFrame(schema={"key": pl.String, "roots": pl.List(pl.String)})
    alone = comp.filter(pl.len().over("root") == 1)
    if alone.height:
        others = comp.select("root", "norm").unique()
        cands = best_name_candidates(
            alone.select("key", "root", "norm"), others.rename({"root": "cand_root"}),
            query_id="key", query_name="norm", ref_id="cand_root", ref_name="norm",
            min_score=settings.name_attach_min, limit=settings.name_candidates, look_alikes=True,
        ).join(alone.select("key", "root"), on="key").filter(pl.col("cand_root") != pl.col("root"))
        # every attachment is decided against the same snapshot of components, then applied:
        # deciding while merging would judge later records against stale roots, and make the
        # result depend on record order
        close = cands.filter(pl.col("name_score")
                             >= pl.col("name_score").max().over("key") - settings.name_margin)
        per_key = close.group_by("key").agg(pl.col("cand_root").unique().sort().alias("roots"))
        link(per_key.filter(pl.col("roots").list.len() == 1).select(
            pl.col("key").alias("a"), pl.col("roots").list.first().alias("b")), "name")
        ambiguous = per_key.filter(pl.col("roots").list.len() > 1).sort("key")

    comp = _components(parties, edges)
    party_ids = _party_ids(comp)
    members = comp.join(party_ids, on="root").join(
        _evidence(comp, edges), on="key", how="left").select(
        "party_id", "system", pl.col("record_id").alias("source_id"), "name",
        pl.col("evidence").fill_null("self"), "norm",
    )
    unresolved = _unresolved_frame(ambiguous, comp, party_ids)
    renamed = _renamed(members, settings.renamed_max_similarity)
    payers = _resolve_payers(tables.get("payments"), parties, comp, party_ids, members,
                             aliases, settings)
    bank_members = payers.filter(pl.col("party_id").is_not_null()).select(
        "party_id", pl.lit("bank").alias("system"), pl.col("payer_key").alias("source_id"),
        pl.col("payer_name").alias("name"), pl.col("payer_evidence").alias("evidence"),
    ).unique(subset=["system", "source_id"], keep="first", maintain_order=True)
    members = pl.concat([members.drop("norm"), bank_members]).sort("party_id", "system",
                                                                  "source_id")
    bank_unresolved = payers.filter(pl.col("party_id").is_null()
                                    & (pl.col("candidate_party_ids").list.len() > 1)).select(
        pl.lit("bank").alias("system"), pl.col("record_id"), "candidate_party_ids",
        pl.lit("payer name close to several clients, IBAN unknown").alias("detail"))
    unresolved = pl.concat([unresolved, bank_unresolved]).sort("system", "record_id")
    return PartyMap(members=members, payers=payers.drop("payer_name"), unresolved=unresolved,
                    renamed=renamed, related=_related(comp, party_ids),
                    pays_for=_pays_for(comp, party_ids, payer_aliases))


def _pays_for(comp: pl.DataFrame, party_ids: pl.DataFrame,
              aliases: pl.DataFrame | None) -> pl.DataFrame:
    """(payer_party_id, party_id) from accepted payer aliases (`payer:<system>`, id, target
    system, target id): the party holding the first record pays for the target's party (a
    parent for its subsidiary). The two stay separate parties."""
    schema = {"payer_party_id": pl.String, "party_id": pl.String}
    if aliases is None or not aliases.height:
        return pl.DataFrame(schema=schema)
    ids = comp.select("key", "root").join(party_ids, on="root").select("key", "party_id")
    pairs = aliases.select(
        _key(pl.col("system").str.strip_prefix(PAYER_ALIAS), pl.col("source_id")).alias("a"),
        _key(pl.col("target_system"), pl.col("target_id")).alias("key"))
    return (pairs.join(ids.rename({"key": "a", "party_id": "payer_party_id"}), on="a")
            .join(ids, on="key").select("payer_party_id", "party_id")
            .filter(pl.col("payer_party_id") != pl.col("party_id"))
            .unique().sort("payer_party_id", "party_id"))


def _related(comp: pl.DataFrame, party_ids: pl.DataFrame) -> pl.DataFrame:
    """(party_id, related_party_id) from CRM parent accounts: a subsidiary and its parent."""
    ids = comp.select("key", "root").join(party_ids, on="root").select("key", "party_id")
    child = comp.filter((pl.col("system") == "crm") & pl.col("parent_record_id").is_not_null())
    pairs = child.select("key", _key("crm", pl.col("parent_record_id")).alias("parent_key")) \
        .join(ids, on="key").join(ids.rename({"key": "parent_key", "party_id": "related_party_id"}),
                                  on="parent_key")
    return pairs.filter(pl.col("party_id") != pl.col("related_party_id")).select(
        "party_id", "related_party_id").unique().sort("party_id", "related_party_id")


def _components(parties: pl.DataFrame, edges: list[pl.DataFrame]) -> pl.DataFrame:
    """`parties` with `root`: the smallest key of the record's connected component (edges
    between two known records only), whatever the order the edges came in."""
    keys = parties.select("key").unique().sort("key").with_row_index("id")
    ids = keys.select("key", pl.col("id").cast(pl.Int64))
    pairs = pl.concat(edges) if edges else pl.DataFrame(schema={"a": pl.String, "b": pl.String})
    pairs = pairs.join(ids.rename({"key": "a", "id": "ia"}), on="a").join(
        ids.rename({"key": "b", "id": "ib"}), on="b").filter(pl.col("ia") != pl.col("ib"))
    label = connected_labels(ids["id"], pairs["ia"], pairs["ib"])
    roots = ids.with_columns(label.alias("root_id")).join(
        ids.rename({"key": "root", "id": "root_id"}), on="root_id").select("key", "root")
    return parties.join(roots, on="key", how="left", maintain_order="left")


def connected_labels(nodes: pl.Series, a: pl.Series, b: pl.Series) -> pl.Series:
    """For each node id (aligned with `nodes`), the smallest node id of its connected
    component in the undirected graph of edges (a[i], b[i]): min-label propagation with
    pointer jumping, vectorised (a few joins per round, rounds ~ log of the diameter)."""
    both = pl.concat([pl.DataFrame({"u": a, "v": b}), pl.DataFrame({"u": b, "v": a})])
    lab = pl.DataFrame({"id": nodes, "label": nodes})
    while True:
        nb = both.join(lab.rename({"id": "v"}), on="v").group_by("u").agg(
            pl.col("label").min().alias("m"))
        new = lab.join(nb.rename({"u": "id"}), on="id", how="left", maintain_order="left") \
            .select("id", pl.min_horizontal("label", "m").alias("label"))
        # pointer jumping: take the label of one's label
        new = new.join(new.rename({"id": "label", "label": "l2"}), on="label", how="left",
                       maintain_order="left").select(
            "id", pl.min_horizontal("label", "l2").alias("label"))
        if new["label"].equals(lab["label"]):
            return new["label"]
        lab = new


def _evidence(comp: pl.DataFrame, edges: list[pl.DataFrame]) -> pl.DataFrame:
    """(key, evidence): how each record joined its party, the first kind of link (in the
    order the rounds add them) that touches it; records alone have none ("self")."""
    if not edges:
        return pl.DataFrame(schema={"key": pl.String, "evidence": pl.String})
    ranked = pl.concat([e.with_columns(pl.lit(i).alias("rank")) for i, e in enumerate(edges)])
    known = comp.select("key")
    valid = ranked.filter(pl.col("a") != pl.col("b")).join(
        known, left_on="a", right_on="key", how="semi").join(
        known, left_on="b", right_on="key", how="semi")
    touch = pl.concat([valid.select(pl.col("a").alias("key"), "why", "rank"),
                       valid.select(pl.col("b").alias("key"), "why", "rank")])
    multi = comp.filter(pl.len().over("root") > 1).select("key")
    return touch.join(multi, on="key").sort("key", "rank").unique(
        subset=["key"], keep="first", maintain_order=True).select(
        "key", pl.col("why").alias("evidence"))


def _party_ids(comp: pl.DataFrame) -> pl.DataFrame:
    """Stable party ids: named after the component's smallest CRM key, else its smallest key."""
    roots = comp.group_by("root").agg(
        pl.col("key").filter(pl.col("system") == "crm").min().alias("crm_min"),
        pl.col("key").min().alias("any_min"),
    )
    return roots.select(
        "root",
        stable_id_expr("P", [pl.coalesce("crm_min", "any_min")]).alias("party_id"),
    )


def _unresolved_frame(ambiguous: pl.DataFrame, comp: pl.DataFrame,
                      party_ids: pl.DataFrame) -> pl.DataFrame:
    """Records whose name is close to several clients, with those clients' party ids.
    Candidates were roots when decided; attachments since may have merged them."""
    schema: dict[str, PolarsDataType] = {
        "system": pl.String, "record_id": pl.String,
        "candidate_party_ids": pl.List(pl.String), "detail": pl.String}
    if ambiguous.height == 0:
        return pl.DataFrame(schema=schema)
    now = comp.select(pl.col("key").alias("cand"), "root").join(party_ids, on="root")
    cands = ambiguous.explode("roots").rename({"roots": "cand"}).join(now, on="cand")
    per = cands.group_by("key").agg(pl.col("party_id").unique().sort()
                                    .alias("candidate_party_ids"))
    return per.select(
        pl.col("key").str.split_exact("|", 1).struct.field("field_0").alias("system"),
        pl.col("key").str.splitn("|", 2).struct.field("field_1").alias("record_id"),
        "candidate_party_ids", pl.lit("name close to several clients").alias("detail"),
    ).sort("system", "record_id").cast(schema)  # type: ignore[arg-type]


def _renamed(members: pl.DataFrame, max_similarity: float) -> pl.DataFrame:
    """CRM accounts whose name resembles none of the names their party has elsewhere."""
    crm = members.filter(pl.col("system") == "crm").select("party_id", "source_id", "name",
                                                           pl.col("norm").alias("crm_norm"))
    other = members.filter(pl.col("system").is_in(["billing", "erp"])).select(
        "party_id", pl.col("norm").alias("other_norm"), pl.col("name").alias("other_name"))
    pairs = crm.join(other, on="party_id")
    if pairs.height == 0:
        return pl.DataFrame(schema={"party_id": pl.String, "system": pl.String,
                                    "record_id": pl.String, "detail": pl.String})
    pairs = pairs.with_columns(name_similarity(pairs["crm_norm"], pairs["other_norm"])
                               .alias("sim"))
    best = pairs.group_by("party_id", "source_id", "name").agg(
        pl.col("sim").max(), pl.col("other_name").sort_by("sim").last())
    # a second CRM entity of a client ("X Services" beside "X") is not a rename: only flag
    # parties where no CRM account carries the name billing and the ERP know
    known = best.group_by("party_id").agg(
        (pl.col("sim").max() >= max_similarity).alias("crm_knows_it"))
    best = best.join(known, on="party_id")
    return best.filter((pl.col("sim") < max_similarity)
                       & ~pl.col("crm_knows_it")).select(
        "party_id", pl.lit("crm").alias("system"), pl.col("source_id").alias("record_id"),
        pl.format("CRM name '{}' differs from the name kept in billing/ERP '{}'",
                  pl.col("name"), pl.col("other_name")).alias("detail"),
    ).sort("record_id")


def _resolve_payers(payments: pl.DataFrame | None, parties: pl.DataFrame, comp: pl.DataFrame,
                    party_ids: pl.DataFrame, members: pl.DataFrame,
                    aliases: pl.DataFrame | None, settings: PartyResolution) -> pl.DataFrame:
    schema: dict[str, PolarsDataType] = {
        "record_id": pl.String, "payer_key": pl.String, "payer_name": pl.String,
        "party_id": pl.String, "payer_evidence": pl.String,
        "candidate_party_ids": pl.List(pl.String)}
    if payments is None or payments.height == 0:
        return pl.DataFrame(schema=schema)
    pay = payments.select(
        "record_id", "payer_name",
        normalize_iban(pl.col("payer_iban")).alias("iban"),
        normalize_name(pl.col("payer_name")).alias("norm"),
    ).with_columns(
        pl.coalesce(pl.col("iban"), pl.lit("name:") + pl.col("norm")).alias("payer_key"))
    root_party = comp.select("key", "root", "iban").join(party_ids, on="root")
    by_iban = root_party.select(normalize_iban(pl.col("iban")).alias("iban"), "party_id") \
        .filter(pl.col("iban").is_not_null())
    if aliases is not None and aliases.height:
        alias_iban = aliases.filter(pl.col("system") == "bank").select(
            pl.col("source_id").alias("iban"),
            _key(pl.col("target_system"), pl.col("target_id")).alias("key"),
        ).join(root_party.select("key", "party_id"), on="key").select("iban", "party_id")
        by_iban = pl.concat([by_iban.with_columns(pl.lit("iban").alias("ev")),
                             alias_iban.with_columns(pl.lit("alias").alias("ev"))])
    else:
        by_iban = by_iban.with_columns(pl.lit("iban").alias("ev"))
    # an IBAN known for several parties is no evidence at all
    by_iban = by_iban.unique(subset=["iban", "party_id"]).filter(pl.len().over("iban") == 1)
    pay = pay.join(by_iban, on="iban", how="left")

    names = members.select("party_id", "norm").filter(pl.col("norm").is_not_null()
                                                      & (pl.col("norm") != "")).unique()
    todo = pay.filter(pl.col("party_id").is_null() & pl.col("norm").is_not_null()) \
        .select("payer_key", "norm").unique()
    cands = best_name_candidates(todo, names, query_id="payer_key", query_name="norm",
                                 ref_id="party_id", ref_name="norm",
                                 min_score=settings.payer_name_floor,
                                 limit=settings.name_candidates)
    # a payer named exactly like a client is also close to that client's look-alikes: the
    # twins are found once among the clients' own names, not for every payer
    exact = cands.filter(pl.col("name_score") == 1.0).join(
        names.rename({"party_id": "__p"}), left_on="party_id", right_on="__p")
    twins = _twin_names(names)
    cands = pl.concat([cands, exact.join(twins, on="norm").select(
        "payer_key", pl.col("twin_party_id").alias("party_id"), "name_score_right")
        .rename({"name_score_right": "name_score"})])
    cands = cands.group_by("payer_key", "party_id").agg(pl.col("name_score").max())
    ranked = cands.with_columns(pl.col("name_score").max().over("payer_key").alias("best"))
    close = ranked.filter((pl.col("best") >= settings.payer_name_min)
                          & (pl.col("name_score") >= pl.col("best") - settings.payer_name_margin))
    per_key = close.group_by("payer_key").agg(
        pl.col("party_id").sort().alias("candidate_party_ids"))
    pay = pay.join(per_key, on="payer_key", how="left").with_columns(
        pl.when(pl.col("party_id").is_null() & (pl.col("candidate_party_ids").list.len() == 1))
        .then(pl.col("candidate_party_ids").list.first()).otherwise(pl.col("party_id"))
        .alias("party_id"),
    ).with_columns(
        pl.when(pl.col("ev").is_not_null()).then(pl.col("ev"))
        .when(pl.col("party_id").is_not_null()).then(pl.lit("name"))
        .otherwise(None).alias("payer_evidence"),
        pl.col("candidate_party_ids").fill_null(pl.lit([], dtype=pl.List(pl.String))),
    )
    return pay.select(list(schema)).sort("record_id")


def _twin_names(names: pl.DataFrame, max_edits: int = 1) -> pl.DataFrame:
    """(norm, twin_party_id, name_score): other clients whose name is one edit away
    ("MARTIN LOGISTIQUE" / "MARTIN LOGISTIQUES"), found by a deletion-neighbourhood join
    (every name with one character deleted), never by comparing all names with all names."""
    uniq = names.select("norm").unique()
    dels = uniq.with_columns(pl.col("norm").str.len_chars().alias("n")).with_columns(
        pl.int_ranges(-1, pl.col("n")).alias("i")).explode("i").select(
        "norm", pl.when(pl.col("i") < 0).then(pl.col("norm"))
        .otherwise(pl.col("norm").str.slice(0, pl.col("i"))
                   + pl.col("norm").str.slice(pl.col("i") + 1)).alias("d"))
    pairs = dels.join(dels, on="d").filter(pl.col("norm") != pl.col("norm_right")) \
        .select("norm", pl.col("norm_right").alias("other")).unique()
    if pairs.height == 0:
        return pl.DataFrame(schema={"norm": pl.String, "twin_party_id": pl.String,
                                    "name_score_right": pl.Float64})
    pairs = pairs.with_columns(name_similarity(pairs["norm"], pairs["other"])
                               .alias("name_score_right"))
    twins = pairs.join(names.rename({"norm": "other", "party_id": "twin_party_id"}), on="other")
    own = names.rename({"party_id": "own"})
    return twins.join(own, on="norm").filter(pl.col("twin_party_id") != pl.col("own")).select(
        "norm", "twin_party_id", "name_score_right").unique()


def _empty_parties() -> pl.DataFrame:
    from reconkit.schemas import empty_table

    return empty_table("parties")
