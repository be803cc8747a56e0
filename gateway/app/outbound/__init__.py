"""The outbound half: what the gateway says to partners on its own account.

- `decisions`: a retailer's 180 return request decided by its partner policy (or by a person,
  ``gateway rma authorize|deny``), answered with a 180 authorization;
- `status`: a return case's transitions told to each partner in it that subscribes to them,
  in the form its partner file asks for (180 notification, 214, or XML);
- `recalls`: an accepted recall notice sent on to every partner whose returns or shipments
  carry an affected product, each recipient tracked to its response;
- `queue`: every such document enveloped with the partner's ids, delimiters, version and
  durable control numbers, validated against our own maps (an invalid one is *held*, never
  sent) and queued once per partner and dedupe key, for ever;
- `react`: what runs after a file is stored, and again on a timer to catch up after a crash.

Each use case runs in one store transaction: a crash queues all of a document or none of it,
and the dedupe key makes running it again harmless.
"""
