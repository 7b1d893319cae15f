"""Model packages: a trained model stored with its pinned requirements, entrypoint, signature,
examples, card and manifest, verified before anything is loaded (``docs/models.md``).

``signature`` (infer and check), ``manifest`` (digests and the root digest), ``card``
(``model-card.md``), ``entrypoint`` (``predict.py``) and ``package`` (build and open) are the
framework-free parts; framework packagers (``satchel-sklearn``) build on them.
"""
