-- Marketing channels: every channel the rules can assign, plus 'unknown'.
SELECT
    c.channel,
    c.label,
    c.is_paid,
    CASE WHEN c.is_paid THEN 'paid' WHEN c.channel = 'unknown' THEN 'unknown' ELSE 'organic' END
        AS channel_group
FROM cfg_channels AS c
