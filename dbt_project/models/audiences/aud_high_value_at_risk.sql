{#- Declared in _audiences__models.yml; the body is macros/audience_model.sql. -#}
{{ audience_model(config.get('meta', {}).get('audience', {})) }}
