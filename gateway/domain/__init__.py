"""The returns domain: correlation keys, the ReturnCase lifecycle, case matching, recall holds.

Pure by rule: these modules import the standard library and `gateway.model` only. No I/O, no
database, no YAML and no clock: every moment comes in as an argument, so the same documents
always give the same cases.

- `gateway.domain.correlation`: `keys_of(document)`, the identifiers that tie documents together.
- `gateway.domain.return_case`: `apply(case, document, received_at)`, the lifecycle, derived from
  every document seen so that arrival order does not matter.
- `gateway.domain.matching`: `find_case(keys, cases)`, the merge rule, `file_document`.
- `gateway.domain.recall_match`: `recall_holds(notice, lines)`, and which partner issued a notice.
- `gateway.domain.authority`: which documents each partner role may send, and the refusal in
  words when one sends what its role (or its partner file) does not allow.
"""
