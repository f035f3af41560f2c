{#- HMAC-SHA256 (hex) of a text under the secret key of the session setting
    `social360.pii_hash_key` (hex, set by social360.core.pii_hash for dbt's connections only): the
    keyed hash that stands for a personal identifier in the marts. Spelled out with the built-in
    sha256, as the embedded server has no pgcrypto: sha256((K xor opad) || sha256((K xor ipad) || m)),
    K the key zero-padded to SHA-256's 64-byte block. Without the setting the model fails. -#}
{% macro pii_hash(text_expression) -%}
    encode(sha256(
        {{ pii_hash_padded_key(92) }} || sha256({{ pii_hash_padded_key(54) }} || convert_to({{ text_expression }}, 'UTF8'))
    ), 'hex')
{%- endmacro %}

{#- The key xor a pad byte (54: ipad 0x36, 92: opad 0x5c), once per query. -#}
{% macro pii_hash_padded_key(pad) -%}
    (select decode(string_agg(lpad(to_hex(get_byte(k.block, i) # {{ pad }}), 2, '0'), '' order by i), 'hex')
     from (select decode(rpad(current_setting('social360.pii_hash_key'), 128, '0'), 'hex') as block) as k
     cross join generate_series(0, 63) as i)
{%- endmacro %}
