"""18.0.1.2.0: a tracking mapping named its Xero category and option by typed names; it now points
to a tracking option read from Xero (xero.tracking.option).

Each typed pair becomes an option without a Xero id, so that nothing sent changes until Xero's
tracking categories are next read (Accounts and Taxes): then the option is recognised by its
names and takes its Xero id, or is marked deleted when Xero has no such option, and the review
says so. The typed columns are dropped.
"""


def migrate(cr, version):
    cr.execute(
        "SELECT count(*) FROM information_schema.columns "
        "WHERE table_name = 'xero_tracking_mapping' AND column_name = 'category'"
    )
    if not cr.fetchone()[0]:
        return
    cr.execute(
        """
        INSERT INTO xero_tracking_option
            (connection_id, company_id, category, name, status, create_uid, create_date,
             write_uid, write_date)
        SELECT DISTINCT connection_id, company_id, category, "option", 'ACTIVE', 1,
               now() AT TIME ZONE 'UTC', 1, now() AT TIME ZONE 'UTC'
          FROM xero_tracking_mapping
        """
    )
    cr.execute(
        """
        UPDATE xero_tracking_mapping mapping
           SET option_id = typed.id
          FROM xero_tracking_option typed
         WHERE typed.connection_id = mapping.connection_id
           AND typed.xero_id IS NULL
           AND typed.category = mapping.category
           AND typed.name = mapping."option"
        """
    )
    cr.execute(
        'ALTER TABLE xero_tracking_mapping DROP COLUMN category, DROP COLUMN "option", '
        "ALTER COLUMN option_id SET NOT NULL"
    )
