{% macro with_parents_and_replies(posts, column, all_posts='threaded') -%}
{#- `column` of the posts in the CTE `posts`, of their parents and of their direct replies (found
    in `all_posts` by channel and post id): every post whose threading one of them can change. -#}
    select {{ posts }}.{{ column }} from {{ posts }}
    union
    select parent.{{ column }}
    from {{ all_posts }} as parent
    inner join {{ posts }}
        on
            parent.channel = {{ posts }}.channel
            and parent.post_id = {{ posts }}.parent_post_id
    union
    select reply.{{ column }}
    from {{ all_posts }} as reply
    inner join {{ posts }}
        on
            reply.channel = {{ posts }}.channel
            and reply.parent_post_id = {{ posts }}.post_id
{%- endmacro %}
